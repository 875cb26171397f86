using TorchSharp;
using static TorchSharp.torch;

namespace SaeAlign.Alignment;

/// <summary>How two RDMs' upper triangles are compared.</summary>
public enum RdmComparison
{
    Pearson,
    /// <summary>Pearson of the ranks, ties given their average rank (scipy.stats.spearmanr).</summary>
    Spearman,
}

/// <summary>The RSA score and how many stimuli it used after dropping rows that have no correlation distance.</summary>
public sealed record RsaResult(double Score, int Stimuli, int DroppedStimuli);

/// <summary>
/// Representational similarity analysis: RDM_ij = 1 - corr(row i, row j) across units, per set; score =
/// Pearson (or Spearman, on RDM entries rounded to 1e-10) of the two RDMs' upper triangles. Stimuli whose row is constant (e.g. all zero) in
/// either set have no correlation distance and are dropped from both. Symmetric. Pearson needs only a x a
/// Gram matrices (O(n a²), no RDM); Spearman ranks the n(n-1)/2 entries, built in row blocks of GEMMs.
/// </summary>
public static class Rsa
{
    // Entries of one block of RDM rows (8 MB): below glibc's mmap threshold (see MutualKnn).
    private const int BlockEntries = 1 << 20;

    public static RsaResult Score(Matrix source, Matrix target, RdmComparison comparison = RdmComparison.Pearson, CancellationToken ct = default)
    {
        if (source.Rows != target.Rows) throw new ArgumentException($"{source.Rows} source rows but {target.Rows} target rows.", nameof(target));
        using var scope = torch.NewDisposeScope();
        var x = RowStandardised(Dense.ToTensor(source), out var liveX);
        var y = RowStandardised(Dense.ToTensor(target), out var liveY);
        var keep = torch.nonzero(liveX & liveY).flatten();
        x = x.index_select(0, keep);
        y = y.index_select(0, keep);
        int n = (int)keep.shape[0];
        int dropped = source.Rows - n;
        if (n < 3) return new RsaResult(double.NaN, n, dropped);

        if (comparison == RdmComparison.Pearson)
        {
            // Sums over all pairs need no n x n matrix: sum_ij s_ij = |sum_i x_i|^2, sum_ij s_ij^2 = |XᵀX|_F^2 and
            // sum_ij sx_ij sy_ij = |XᵀY|_F^2 (the CKA identity); the upper triangle is (all - diagonal) / 2.
            var nx = x.square().sum(1);
            var ny = y.square().sum(1);
            var s = Dense.ToVector(torch.stack(
            [
                x.sum(dim: 0).square().sum() - nx.sum(),
                y.sum(dim: 0).square().sum() - ny.sum(),
                torch.mm(x.t(), x).square().sum() - nx.square().sum(),
                torch.mm(y.t(), y).square().sum() - ny.square().sum(),
                torch.mm(x.t(), y).square().sum() - (nx * ny).sum(),
            ]) / 2);
            double m = (double)n * (n - 1) / 2;
            // The RDMs are 1 - s: negating both sides leaves their correlation unchanged.
            return new RsaResult(Correlation.FromSums(m, s[0], s[1], s[2], s[3], s[4]), n, dropped);
        }

        long pairs = (long)n * (n - 1) / 2;
        var upperX = new double[pairs];
        var upperY = new double[pairs];
        long offset = 0;
        ForEachUpperBlock(x, y, n, ct, (sx, sy) =>
        {
            var vx = Dissimilarities(sx);
            var vy = Dissimilarities(sy);
            vx.CopyTo(upperX, offset);
            vy.CopyTo(upperY, offset);
            offset += vx.Length;
        });
        return new RsaResult(Correlation.Spearman(upperX, upperY), n, dropped);
    }

    /// <summary>
    /// 1 - corr rounded to 1e-10: pairs that tie in exact arithmetic (rows with the same pattern, common in ReLU
    /// codes) differ by rounding noise between GEMM orders, and ranks must treat them as ties.
    /// </summary>
    private static double[] Dissimilarities(Tensor similarities)
    {
        var values = Dense.ToVector(similarities);
        for (int i = 0; i < values.Length; i++) values[i] = Math.Round((1 - values[i]) * 1e10) / 1e10;
        return values;
    }

    /// <summary>Rows centred and scaled to unit norm, so that a GEMM gives correlations; constant rows are marked dead.</summary>
    private static Tensor RowStandardised(Tensor rows, out Tensor live)
    {
        var centred = rows - rows.mean([1], keepdim: true);
        var norm = centred.norm(1, keepdim: true);
        live = (norm > 0).flatten();
        return centred / norm.clamp_min(double.Epsilon);
    }

    /// <summary>Calls <paramref name="visit"/> with the similarities (corr) of pairs i &lt; j, one row block at a time, row-major.</summary>
    private static void ForEachUpperBlock(Tensor x, Tensor y, int n, CancellationToken ct, Action<Tensor, Tensor> visit)
    {
        int blockRows = Math.Max(1, BlockEntries / n);
        for (int start = 0; start < n - 1; start += blockRows)
        {
            ct.ThrowIfCancellationRequested();
            using var scope = torch.NewDisposeScope();
            int rows = Math.Min(blockRows, n - start);
            var mask = torch.ones(rows, n, ScalarType.Bool).triu(start + 1);
            var sx = torch.mm(x.narrow(0, start, rows), x.t()).masked_select(mask);
            var sy = torch.mm(y.narrow(0, start, rows), y.t()).masked_select(mask);
            visit(sx, sy);
        }
    }
}

/// <summary>The "rsa" (Pearson) and "rsa-spearman" metrics on the sampled stimuli: symmetric, unfitted.</summary>
public sealed class RsaMetric(RdmComparison comparison) : IAlignmentMetric
{
    public string Name => comparison == RdmComparison.Pearson ? AlignmentMetric.Rsa : AlignmentMetric.RsaSpearman;
    public bool Fitted => false;
    public bool Directional => false;
    public MetricNeeds Needs => MetricNeeds.SampledRows;

    public MetricResult Score(DenseInputs inputs, CancellationToken ct)
    {
        var (x, y) = inputs.Sample;
        var rsa = Rsa.Score(x, y, comparison, ct);
        return MetricResult.Unfitted(this, inputs.SampleProtocol, rsa.Score,
            new Dictionary<string, double> { ["stimuli"] = rsa.Stimuli, ["dropped_stimuli"] = rsa.DroppedStimuli });
    }
}
