using TorchSharp;
using static TorchSharp.torch;

namespace SaeAlign.Alignment;

/// <summary>
/// Mutual k-nearest-neighbour alignment (Huh et al. 2024, "Platonic representations"): for each stimulus the k
/// nearest other stimuli by cosine similarity in each set; score = mean_i |N_X(i) ∩ N_Y(i)| / k. Symmetric.
/// Zero rows have cosine 0 to everything. Similarities equal to 1e-10 tie, and ties go to the lower stimulus index.
/// </summary>
public static class MutualKnn
{
    public const int DefaultK = 10;
    // Entries of one block's similarity matrix (8 MB): well below glibc's 32 MB mmap threshold, above which every
    // fresh temporary costs page faults (512-row blocks of 10,000 stimuli spent most of their time there).
    private const int BlockEntries = 1 << 20;

    public static double Score(Matrix source, Matrix target, int k = DefaultK, CancellationToken ct = default)
    {
        if (source.Rows != target.Rows) throw new ArgumentException($"{source.Rows} source rows but {target.Rows} target rows.", nameof(target));
        int n = source.Rows;
        if (k < 1 || k >= n) throw new ArgumentOutOfRangeException(nameof(k), $"k = {k} must be in 1..{n - 1} for {n} stimuli.");
        using var scope = torch.NewDisposeScope();
        var x = Normalised(Dense.ToTensor(source));
        var y = Normalised(Dense.ToTensor(target));
        var reversed = torch.arange(n - 1, -1, -1, dtype: ScalarType.Int64);
        int blockRows = Math.Max(1, BlockEntries / n);
        long shared = 0;
        for (int start = 0; start < n; start += blockRows)
        {
            ct.ThrowIfCancellationRequested();
            using var block = torch.NewDisposeScope();
            int rows = Math.Min(blockRows, n - start);
            var nx = Neighbours(x, start, rows, k, reversed);
            var ny = Neighbours(y, start, rows, k, reversed);
            // Count equal entries between the two k-lists of each row (each list has distinct entries).
            shared += (nx.unsqueeze(2) == ny.unsqueeze(1)).sum().item<long>();
        }
        return (double)shared / ((double)n * k);
    }

    private static Tensor Normalised(Tensor rows) => rows / rows.norm(1, keepdim: true).clamp_min(double.Epsilon);

    private static Tensor Neighbours(Tensor all, int start, int rows, int k, Tensor reversed)
    {
        long n = all.shape[0];
        // Similarities rounded to 1e-10 (|s| <= 1, so within ±1e10), so that equal similarities (same-pattern rows,
        // common in ReLU codes) tie whatever rounding noise the GEMM left; ties go to the lower stimulus index. The
        // key rounded * n + (n - 1 - j) is unique and orders exactly that way, so a partial top-k needs no full sort.
        var key = torch.mm(all.narrow(0, start, rows), all.t()).mul_(1e10).round_().to_type(ScalarType.Int64).mul_(n).add_(reversed);
        // Row r of the block is stimulus start + r: its self-similarity sits on the diagonal at offset start.
        key.diagonal(start).fill_(long.MinValue);
        return key.topk(k, 1).indexes;
    }
}

/// <summary>The "mknn" metric on the sampled stimuli with <see cref="AlignmentOptions.K"/> neighbours: symmetric, unfitted.</summary>
public sealed class MutualKnnMetric : IAlignmentMetric
{
    public string Name => AlignmentMetric.Mknn;
    public bool Fitted => false;
    public bool Directional => false;
    public MetricNeeds Needs => MetricNeeds.SampledRows;

    public MetricResult Score(DenseInputs inputs, CancellationToken ct)
    {
        var (x, y) = inputs.Sample;
        return MetricResult.Unfitted(this, inputs.SampleProtocol, MutualKnn.Score(x, y, inputs.Options.K, ct),
            new Dictionary<string, double> { ["k"] = inputs.Options.K });
    }
}
