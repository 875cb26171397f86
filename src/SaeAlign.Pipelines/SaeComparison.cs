using SaeAlign.Alignment;
using SaeAlign.Core;
using SaeAlign.Sae;
using TorchSharp;
using static TorchSharp.torch;

namespace SaeAlign.Pipelines;

/// <summary>
/// Seed stability of SAEs (Paulo &amp; Belrose 2025): how many latents of dictionary A reappear in dictionary B. Latents
/// are matched one-to-one by the cosine of their decoder directions (and, separately, of their encoder directions),
/// exactly and without an a x b matrix in memory (<see cref="CertifiedTransport"/>); a latent is shared when its
/// partner's cosine reaches the threshold. A random dictionary of B's shape gives the chance level of both numbers.
/// </summary>
public static class SaeComparison
{
    public static SaeComparisonResult Compare(SaeDictionary a, SaeDictionary b, SaeComparisonOptions options, ActivationSet? activations = null,
        CancellationToken ct = default)
    {
        if (a.DIn != b.DIn)
            throw new InvalidInputException($"the dictionaries have d_in {a.DIn} and {b.DIn}; only SAEs of the same activations can be compared.");
        InvalidInputException.Require(options.Threshold is >= -1 and <= 1, $"{InputField.Named("threshold")} must be a cosine in [-1, 1], got {options.Threshold}.");
        long baselineSeed = Seeds.Derive(options.Seed, "sae-compare-baseline");
        var decoder = Match("decoder", () => Rows(a.WDec, a.DSae, a.DIn), () => Rows(b.WDec, b.DSae, b.DIn), b, baselineSeed, options.Threshold, ct);
        var encoder = Match("encoder", () => Columns(a.WEnc, a.DIn, a.DSae), () => Columns(b.WEnc, b.DIn, b.DSae), b, baselineSeed, options.Threshold, ct);
        var codes = activations is null ? null : MatchCodes(a, b, activations, options.Device, ct);
        return new SaeComparisonResult(a.DIn, a.DSae, b.DSae, options.Threshold, decoder, encoder, codes);
    }

    /// <summary>
    /// The cosines of A's latents (rows of <paramref name="a"/>) with their one-to-one partners among the rows of
    /// <paramref name="b"/> (NaN where A has none), the matching solved exactly in float64.
    /// </summary>
    public static double[] MatchedCosines(Tensor a, Tensor b, CancellationToken ct = default)
    {
        using var scope = NewDisposeScope();
        var unitA = Normalized(a.to(ScalarType.Float64));
        var unitB = Normalized(b.to(ScalarType.Float64));
        var unitBt = unitB.t();
        int rowsA = (int)a.shape[0], rowsB = (int)b.shape[0];
        void Cosines(int first, int count, Memory<double> into)
        {
            ct.ThrowIfCancellationRequested();
            // Each block is freed at once: the solver prices every pair each round, gigabytes in all at SAE widths.
            using var rows = unitA.narrow(0, first, count);
            using var block = rows.mm(unitBt);
            block.data<double>().CopyTo(into.Span);
        }
        var pairs = CertifiedTransport.OneToOnePairs(rowsA, rowsB, Cosines, ct: ct).Pairs;
        var cosines = Enumerable.Repeat(double.NaN, rowsA).ToArray();
        var sources = tensor(pairs.Select(p => (long)p.Source).ToArray());
        var targets = tensor(pairs.Select(p => (long)p.Target).ToArray());
        var matched = unitA.index_select(0, sources).mul(unitB.index_select(0, targets)).sum([1]).data<double>().ToArray();
        for (int i = 0; i < pairs.Count; i++) cosines[pairs[i].Source] = matched[i];
        return cosines;
    }

    /// <summary>A's and B's directions matched, then A's against a random dictionary of B's shape; each pair's tensors live only for its matching.</summary>
    private static DirectionMatch Match(string directions, Func<Tensor> a, Func<Tensor> b, SaeDictionary shapeOfB, long baselineSeed,
        double threshold, CancellationToken ct)
    {
        double[] cosines, baseline;
        using (NewDisposeScope()) cosines = MatchedCosines(a(), b(), ct);
        using (NewDisposeScope()) baseline = MatchedCosines(a(), RandomDirections(shapeOfB.DSae, shapeOfB.DIn, baselineSeed), ct);
        return new DirectionMatch(directions, cosines, Shared(cosines, threshold), Mean(cosines), baseline, Shared(baseline, threshold), Mean(baseline));
    }

    /// <summary>The fraction of A's latents whose partner's cosine reaches the threshold (a latent without a partner is not shared).</summary>
    private static double Shared(double[] cosines, double threshold) => cosines.Count(c => c >= threshold) / (double)cosines.Length;

    private static double Mean(double[] cosines) => cosines.Where(c => !double.IsNaN(c)).Average();

    private static CodeMatch MatchCodes(SaeDictionary a, SaeDictionary b, ActivationSet activations, TorchSharp.torch.Device? device, CancellationToken ct)
    {
        InvalidInputException.Require(activations.Columns == a.DIn,
            $"{InputField.Named("activations")}: {activations.Columns} columns, but the SAEs' d_in is {a.DIn}.");
        var codesA = SaeMetrics.EncodeSparse(a, activations, ct, device);
        var codesB = SaeMetrics.EncodeSparse(b, activations, ct, device);
        var options = new AlignmentOptions { Metrics = [AlignmentMetric.OneToOne], Cv = CrossValidation.None };
        var report = SparseAlignmentRunner.Run(codesA, codesB, options, ct);
        return new CodeMatch(activations.Rows, report.Metrics[0].Score, report.DroppedSourceUnits.Count, report.DroppedTargetUnits.Count);
    }

    private static Tensor Rows(float[] values, int rows, int columns) => tensor(values, [rows, columns]);

    private static Tensor Columns(float[] values, int rows, int columns) => Rows(values, rows, columns).t().contiguous();

    private static Tensor Normalized(Tensor rows) => rows.div(rows.norm(1, keepdim: true).clamp_min(1e-30));

    /// <summary>Directions uniform on the sphere: Gaussian rows (normalised when matched).</summary>
    private static Tensor RandomDirections(int rows, int columns, long seed)
    {
        using var generator = new Generator((ulong)seed);
        return randn([rows, columns], ScalarType.Float64, generator: generator);
    }
}
