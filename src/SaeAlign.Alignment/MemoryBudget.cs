using System.Globalization;
using SaeAlign.Core;

namespace SaeAlign.Alignment;

/// <summary>
/// What the dense route of a run would hold at its peak, checked against the memory limit before any work, so a run
/// that cannot fit exits 2 naming the metric, the sizes and the memory it needs instead of being killed hours in.
/// The figures are upper estimates in float64 bytes: the rows as float32, per fold the a x b cross products (and the
/// a x a / b x b Gram matrices for ridge and CKA) kept once in libtorch and once as arrays, plus the train/test
/// combinations and the fitted a x b correlation matrices; ridge adds its a x a eigendecompositions per fold.
/// </summary>
public static class MemoryBudget
{
    /// <summary>Bytes of the dense route for <paramref name="metrics"/> on n rows of a source and b target units.</summary>
    public static long Dense(long n, long a, long b, int folds, IReadOnlyCollection<string> metrics)
    {
        bool moments = metrics.Any(m => m is not (AlignmentMetric.Rsa or AlignmentMetric.RsaSpearman or AlignmentMetric.Mknn or AlignmentMetric.Triplet));
        bool ridge = metrics.Contains(AlignmentMetric.Ridge);
        bool cka = metrics.Contains(AlignmentMetric.Cka) || metrics.Contains(AlignmentMetric.CkaDebiased);
        bool matching = metrics.Any(m => m is AlignmentMetric.Semi or AlignmentMetric.Soft or AlignmentMetric.OneToOne);
        long rows = 4 * n * (a + b);
        if (!moments) return rows;
        long perBucket = a * b + (ridge || cka ? a * a : 0) + (cka ? b * b : 0);
        long bytes = rows + 8 * perBucket * (2L * folds + 2);
        if (matching) bytes += 8 * a * b * 2L * folds;
        if (ridge) bytes += 8 * a * a * 3L * folds;
        return bytes;
    }

    /// <summary>Throws <see cref="InvalidInputException"/> when the dense route of any of the options' metrics would not fit.</summary>
    public static void RequireDenseFits(long n, int a, int b, AlignmentOptions options, string? comparison = null)
    {
        long limit = options.ResolvedMemoryLimit;
        long needed = Dense(n, a, b, options.Cv.Folds, options.Metrics);
        if (needed <= limit) return;
        // Name the metric that makes it too big: the first whose own dense route does not fit.
        string metric = options.Metrics.FirstOrDefault(m => Dense(n, a, b, options.Cv.Folds, [m]) > limit) ?? string.Join(",", options.Metrics);
        throw new InvalidInputException(string.Create(CultureInfo.InvariantCulture,
            $"{(comparison is null ? "" : comparison + ": ")}--metrics {metric} on {n:N0} stimuli x {a:N0} source and {b:N0} target units needs about {Gb(Dense(n, a, b, options.Cv.Folds, [metric]))} (all requested metrics: {Gb(needed)}), over the memory limit of {Gb(limit)}; give --memory-limit, fewer units or stimuli, or other metrics."));
    }

    public static string Gb(long bytes) => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1e9:0.0} GB");
}
