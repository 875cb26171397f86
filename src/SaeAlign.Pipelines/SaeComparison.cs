using SaeAlign.Alignment;
using SaeAlign.Core;
using SaeAlign.Sae;
using TorchSharp;
using static TorchSharp.torch;

namespace SaeAlign.Pipelines;

/// <summary>How <see cref="SaeComparison"/> compares two dictionaries.</summary>
public sealed record SaeComparisonOptions
{
    /// <summary>A matched pair whose cosine is at least this is a shared latent (Paulo &amp; Belrose 2025 use 0.7).</summary>
    public double Threshold { get; init; } = 0.7;

    /// <summary>Seed of the random baseline dictionary.</summary>
    public long Seed { get; init; }
}

/// <summary>
/// One kind of direction (decoder rows or encoder columns) matched one-to-one between two dictionaries: the exact
/// maximum-cosine matching of min(a, b) pairs (Hungarian), the cosine of each of A's latents with its partner
/// (NaN for a latent of A left without one when B is narrower), and the same for a random dictionary of B's shape.
/// </summary>
public sealed record DirectionMatch(string Directions, double[] MatchedCosines, double SharedFraction, double MeanMatchedCosine,
    double[] BaselineCosines, double BaselineSharedFraction, double BaselineMeanMatchedCosine);

/// <summary>Activation-based matching: the mean correlation of the one-to-one matched codes over the given stimuli.</summary>
public sealed record CodeMatch(int Rows, double MeanMatchedCorrelation, int DeadA, int DeadB);

public sealed record SaeComparisonResult(int DIn, int LatentsA, int LatentsB, double Threshold, DirectionMatch Decoder, DirectionMatch Encoder, CodeMatch? Codes);

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
        using var scope = NewDisposeScope();
        var random = RandomDirections(b.DSae, b.DIn, Seeds.Derive(options.Seed, "sae-compare-baseline"));
        var decoder = Match("decoder", Rows(a.WDec, a.DSae, a.DIn), Rows(b.WDec, b.DSae, b.DIn), random, options.Threshold, ct);
        var encoder = Match("encoder", Columns(a.WEnc, a.DIn, a.DSae), Columns(b.WEnc, b.DIn, b.DSae), random, options.Threshold, ct);
        var codes = activations is null ? null : MatchCodes(a, b, activations, ct);
        return new SaeComparisonResult(a.DIn, a.DSae, b.DSae, options.Threshold, decoder, encoder, codes);
    }

    /// <summary>The cosines of A's latents with their one-to-one partners in B (NaN where A has none), solved exactly.</summary>
    public static double[] MatchedCosines(Tensor a, Tensor b, CancellationToken ct = default)
    {
        using var unitA = Normalized(a);
        using var unitB = Normalized(b);
        using var unitBt = unitB.t();
        int rowsA = (int)a.shape[0], rowsB = (int)b.shape[0];
        void Cosines(int first, int count, Memory<double> into)
        {
            ct.ThrowIfCancellationRequested();
            // Each block is freed at once: the solver prices every pair each round, gigabytes in all at SAE widths.
            using var rows = unitA.narrow(0, first, count);
            using var block = rows.mm(unitBt);
            block.data<double>().CopyTo(into.Span);
        }
        var pairs = CertifiedTransport.OneToOnePairs(rowsA, rowsB, Cosines).Pairs;
        var cosines = Enumerable.Repeat(double.NaN, rowsA).ToArray();
        var buffer = new double[rowsB];
        foreach (var (source, target) in pairs)
        {
            Cosines(source, 1, buffer);
            cosines[source] = buffer[target];
        }
        return cosines;
    }

    private static DirectionMatch Match(string directions, Tensor a, Tensor b, Tensor random, double threshold, CancellationToken ct)
    {
        var cosines = MatchedCosines(a, b, ct);
        var baseline = MatchedCosines(a, random, ct);
        return new DirectionMatch(directions, cosines, Shared(cosines, threshold), Mean(cosines), baseline, Shared(baseline, threshold), Mean(baseline));
    }

    /// <summary>The fraction of A's latents whose partner's cosine reaches the threshold (a latent without a partner is not shared).</summary>
    private static double Shared(double[] cosines, double threshold) => cosines.Count(c => c >= threshold) / (double)cosines.Length;

    private static double Mean(double[] cosines) => cosines.Where(c => !double.IsNaN(c)).Average();

    private static CodeMatch MatchCodes(SaeDictionary a, SaeDictionary b, ActivationSet activations, CancellationToken ct)
    {
        InvalidInputException.Require(activations.Columns == a.DIn,
            $"{InputField.Named("activations")}: {activations.Columns} columns, but the SAEs' d_in is {a.DIn}.");
        var codesA = SaeMetrics.EncodeSparse(a, activations, ct);
        var codesB = SaeMetrics.EncodeSparse(b, activations, ct);
        var options = new AlignmentOptions { Metrics = [AlignmentMetric.OneToOne], Cv = CrossValidation.None };
        var report = SparseAlignmentRunner.Run(codesA, codesB, options,
            () => throw new InvalidOperationException("one-to-one has a sparse route; no dense rows are needed."), ct);
        return new CodeMatch(activations.Rows, report.Metrics[0].Score, report.DroppedSourceUnits.Count, report.DroppedTargetUnits.Count);
    }

    private static Tensor Rows(float[] values, int rows, int columns) => tensor(values, [rows, columns]).to(ScalarType.Float64);

    private static Tensor Columns(float[] values, int rows, int columns) => Rows(values, rows, columns).t().contiguous();

    private static Tensor Normalized(Tensor rows)
    {
        using var norms = rows.norm(1, keepdim: true);
        using var safe = norms.clamp_min(1e-30);
        return rows.div(safe);
    }

    /// <summary>Directions uniform on the sphere: Gaussian rows (normalised when matched).</summary>
    private static Tensor RandomDirections(int rows, int columns, long seed)
    {
        using var generator = new Generator((ulong)seed);
        return randn([rows, columns], ScalarType.Float64, generator: generator);
    }
}
