using SaeAlign.Core;

namespace SaeAlign.Alignment;

/// <summary>
/// What a score means against chance and how precise it is (README, "Calibration"): the permutation null's mean and
/// SD, the calibrated score (score − null mean), the empirical p-value, and the bootstrap percentile interval.
/// </summary>
/// <param name="PValue">(1 + #{null replicates at least as aligned as the score}) / (1 + replicates): never 0, as a permutation p-value must not be.</param>
/// <param name="NullLow">The null's 2.5th percentile (with <paramref name="NullHigh"/>, its central 95%: the band a plot shows).</param>
/// <remarks>The null fields are null without permutations (the SD also with one), the interval without bootstrap replicates.</remarks>
public sealed record ScoreCalibration(
    int Permutations, double? NullMean, double? NullSd, double? NullLow, double? NullHigh, double? Calibrated, double? PValue,
    int Bootstraps, double? IntervalLow, double? IntervalHigh)
{
    /// <summary>The interval's nominal coverage.</summary>
    public const double Confidence = 0.95;

    /// <summary>
    /// The calibration of <paramref name="score"/> from its null and bootstrap replicate scores (NaN replicates, where a
    /// resample left too few live units, are left out). Null when there are none.
    /// </summary>
    public static ScoreCalibration? Of(double score, IEnumerable<double> nulls, IEnumerable<double> bootstraps, bool higherIsAligned)
    {
        var n = nulls.Where(double.IsFinite).Order().ToArray();
        var b = bootstraps.Where(double.IsFinite).Order().ToArray();
        if (n.Length == 0 && b.Length == 0) return null;
        const double tail = (1 - Confidence) / 2;
        double? mean = n.Length == 0 ? null : n.Average();
        double? sd = n.Length < 2 ? null : Math.Sqrt(n.Sum(x => (x - mean!.Value) * (x - mean.Value)) / (n.Length - 1));
        int asAligned = n.Count(x => higherIsAligned ? x >= score : x <= score);
        bool scored = n.Length > 0 && double.IsFinite(score);
        return new ScoreCalibration(n.Length, mean, sd, Percentile(n, tail), Percentile(n, 1 - tail), scored ? score - mean : null,
            scored ? (1.0 + asAligned) / (1.0 + n.Length) : null,
            b.Length, Percentile(b, tail), Percentile(b, 1 - tail));
    }

    /// <summary>numpy's default percentile (linear between order statistics) of ascending <paramref name="sorted"/>; null when empty.</summary>
    public static double? Percentile(IReadOnlyList<double> sorted, double q)
    {
        if (sorted.Count == 0) return null;
        double position = q * (sorted.Count - 1);
        int low = (int)Math.Floor(position);
        int high = Math.Min(low + 1, sorted.Count - 1);
        return sorted[low] + (position - low) * (sorted[high] - sorted[low]);
    }
}

/// <summary>
/// Adds permutation-null and bootstrap replicates to a run's report: each replicate runs the whole protocol (same
/// metrics, folds and fitting) on resampled stimuli (<see cref="Resampling"/>), so the null and the interval describe
/// exactly the score that was reported.
/// </summary>
public static class Calibration
{
    /// <summary>The permutations the front ends run unless told otherwise (`--null-permutations`).</summary>
    public const int DefaultPermutations = 20;

    public static bool Requested(AlignmentOptions options) => options.NullPermutations > 0 || options.Bootstrap > 0;

    /// <summary>The options of one replicate: the same protocol, without replicates of its own.</summary>
    public static AlignmentOptions Off(AlignmentOptions options) => options with { NullPermutations = 0, Bootstrap = 0 };

    /// <summary>
    /// <paramref name="observed"/> with each metric's null and bootstrap scores. <paramref name="replicate"/> runs the
    /// protocol for the given metrics on the rows re-indexed (source rows, or null for unchanged; target rows); a
    /// replicate whose resample leaves a side with too few varying units scores NaN. <paramref name="momentNull"/>, when
    /// given, scores the null replicates of the metrics that read only moments without a re-run (<see cref="MomentNull"/>).
    /// </summary>
    internal static AlignmentReport Add(AlignmentReport observed, AlignmentOptions options,
        Func<int[]?, int[], IReadOnlyList<string>, AlignmentReport> replicate, Func<MomentNull>? momentNull, CancellationToken ct)
    {
        if (!Requested(options)) return observed;
        var folds = options.Cv.Assign(observed.Rows);
        var all = observed.Metrics.Select(m => m.Metric).ToArray();
        using var moments = options.NullPermutations > 0 ? momentNull?.Invoke() : null;
        var fromMoments = moments?.Metrics ?? [];
        var rerun = all.Except(fromMoments).ToArray();
        int[] Permutation(int r) => Resampling.Permutation(folds, observed.Rows, options.Seed, r);
        var fromRows = fromMoments.Count > 0 ? moments!.Scores(options.NullPermutations, Permutation, ct) : null;
        var nulls = Enumerable.Range(0, options.NullPermutations).Select(r =>
        {
            var scores = rerun.Length == 0 ? new Dictionary<string, double>() : Scores(() => replicate(null, Permutation(r), rerun), rerun, ct);
            for (int k = 0; k < fromMoments.Count; k++) scores[fromMoments[k]] = fromRows![r][k];
            return scores;
        }).ToArray();
        var resampled = all.Where(Resamplable).ToArray();
        var bootstraps = resampled.Length == 0 ? [] : Enumerable.Range(0, options.Bootstrap).Select(r =>
        {
            var rows = Resampling.Bootstrap(folds, observed.Rows, options.Seed, r);
            return Scores(() => replicate(rows, rows, resampled), resampled, ct);
        }).ToArray();
        return observed with
        {
            Metrics = observed.Metrics.Select(m => m with
            {
                NullScores = nulls.Select(s => s[m.Metric]).ToArray(),
                BootstrapScores = resampled.Contains(m.Metric) ? bootstraps.Select(s => s[m.Metric]).ToArray() : [],
            }).ToArray(),
        };
    }

    /// <summary>
    /// Whether a bootstrap interval means anything for the metric: a resample repeats stimuli, which the row-wise metrics
    /// (rsa, mknn, triplet; cka-debiased's per-row terms) would count as perfectly matched pairs, inflating the score.
    /// </summary>
    private static bool Resamplable(string metric) =>
        (AlignmentMetric.Get(metric).Needs & (MetricNeeds.SampledRows | MetricNeeds.TripletRows | MetricNeeds.RowNorms)) == 0;

    private static Dictionary<string, double> Scores(Func<AlignmentReport> run, IReadOnlyList<string> metrics, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        try
        {
            var report = run();
            return metrics.ToDictionary(m => m, m => report.Metrics.First(r => r.Metric == m).Score);
        }
        catch (InvalidInputException) when (!ct.IsCancellationRequested)
        {
            // A resample in which a side has fewer than two varying units has no score; the summary leaves it out.
            return metrics.ToDictionary(m => m, _ => double.NaN);
        }
    }
}
