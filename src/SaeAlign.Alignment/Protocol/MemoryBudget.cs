using SaeAlign.Core;
using static SaeAlign.Core.ByteSize;
using static SaeAlign.Core.InputField;

namespace SaeAlign.Alignment;

/// <summary>
/// What the dense route of a run would hold at its peak, checked against the memory limit before any work, so a run
/// that cannot fit exits 2 naming the metric, the sizes and the memory it needs instead of being killed hours in.
/// The figures are upper estimates in float64 bytes: the rows as float32 when they are held in memory (streamed
/// Parquet pairs are not), the sampled rows of RSA and mutual k-NN, per fold the a x b cross products (and the
/// a x a / b x b Gram matrices for ridge and CKA) kept once in libtorch and once as arrays, plus the train/test
/// combinations and the fitted a x b correlation matrices; ridge adds its a x a eigendecompositions per fold.
/// </summary>
public static class MemoryBudget
{
    /// <summary>
    /// Bytes of the dense route for <paramref name="metrics"/> with <paramref name="heldRows"/> rows in memory (0 when
    /// streamed) and <paramref name="sampledRows"/> collected for the row-wise metrics, of a source and b target units.
    /// </summary>
    public static long Dense(long heldRows, long sampledRows, long a, long b, int folds, IReadOnlyCollection<string> metrics)
    {
        var needs = AlignmentMetric.NeedsOf(metrics);
        long rows = 4 * heldRows * (a + b) + (needs.HasFlag(MetricNeeds.SampledRows) ? 8 * sampledRows * (a + b) : 0);
        if (!needs.HasFlag(MetricNeeds.CrossMoments)) return rows;
        long perBucket = a * b + (needs.HasFlag(MetricNeeds.SourceGram) ? a * a : 0) + (needs.HasFlag(MetricNeeds.TargetGram) ? b * b : 0);
        long bytes = rows + 8 * perBucket * (2L * folds + 2);
        if (needs.HasFlag(MetricNeeds.Correlations)) bytes += 8 * a * b * 2L * folds;
        if (needs.HasFlag(MetricNeeds.SecondPass)) bytes += 8 * a * a * 3L * folds;
        return bytes;
    }

    /// <summary>Throws <see cref="InvalidInputException"/> when the dense route of any of the options' metrics would not fit.</summary>
    /// <param name="rowsInMemory">False for streamed rows, whose memory does not grow with n.</param>
    /// <param name="alternatives">Metrics that would run here whatever the width, named in the message.</param>
    public static void RequireDenseFits(long n, int a, int b, AlignmentOptions options, string? comparison = null, bool rowsInMemory = true,
        IReadOnlyList<string>? alternatives = null)
    {
        long limit = options.ResolvedMemoryLimit;
        // A run with replicates holds the rows and one re-indexed copy.
        long held = Calibration.Requested(options) ? 2 * n : rowsInMemory ? n : 0, sampled = Math.Min(n, options.Stimuli);
        long Needed(IReadOnlyCollection<string> metrics) => Dense(held, sampled, a, b, options.Cv.Folds, metrics);
        long needed = Needed(options.Metrics);
        if (needed <= limit) return;
        // Name the metric that makes it too big: the first whose own dense route does not fit.
        string metric = options.Metrics.FirstOrDefault(m => Needed([m]) > limit) ?? string.Join(",", options.Metrics);
        throw new InvalidInputException(
            $"{(comparison is null ? "" : comparison + ": ")}{Named("metrics")} {metric} on {n:N0} stimuli x {a:N0} source and {b:N0} target units needs about {Gb(Needed([metric]))} (all requested metrics: {Gb(needed)}), over the memory limit of {Gb(limit)}; give {Named("memoryLimit")}, fewer units or stimuli, or other metrics{(alternatives is null ? "" : $" ({string.Join(", ", alternatives)} run at any width on sparse codes)")}{(Calibration.Requested(options) ? $"; calibration holds the rows twice ({Named("nullPermutations")} 0 and {Named("bootstrap")} 0 turn it off)" : "")}.");
    }

    /// <summary>Throws <see cref="InvalidInputException"/> when a metric's sparse route would not fit (exact ridge on many stimuli of wide codes).</summary>
    public static void RequireSparseFits(ISparseAlignmentMetric metric, long n, int a, int b, AlignmentOptions options, string? comparison = null)
    {
        long needed = metric.SparseBytes(n, a, b, options.Cv.Folds), limit = options.ResolvedMemoryLimit;
        InvalidInputException.Require(needed <= limit,
            $"{(comparison is null ? "" : comparison + ": ")}{Named("metrics")} {metric.Name} on {n:N0} stimuli x {a:N0} source and {b:N0} target units needs about {Gb(needed)}, over the memory limit of {Gb(limit)}; give {Named("memoryLimit")}, fewer stimuli, or other metrics.");
    }
}
