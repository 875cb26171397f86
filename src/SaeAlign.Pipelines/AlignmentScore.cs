using SaeAlign.Alignment;
using SaeAlign.Data;

namespace SaeAlign.Pipelines;

/// <summary>
/// One score of one metric for one comparison between two models of width <see cref="Neurons"/>: an observed fold's
/// score (<see cref="Sample"/> "observed", <see cref="Fold"/> the fold), or a calibration replicate's score over all
/// folds ("null" or "bootstrap", <see cref="Replicate"/> its number, <see cref="Fold"/> −1).
/// </summary>
public sealed record AlignmentScore(int Neurons, string Comparison, string Metric, long SourceSeed, long TargetSeed, int Fold, double Score,
    string Sample = AlignmentScore.Observed, int Replicate = 0)
{
    public const string Observed = "observed";
    public const string Null = "null";
    public const string Bootstrap = "bootstrap";

    /// <summary>A report's scores as rows: each metric's fold scores, then its null and bootstrap replicates.</summary>
    public static IEnumerable<AlignmentScore> Of(AlignmentReport report, int neurons, string comparison, long sourceSeed, long targetSeed) =>
        report.Metrics.SelectMany(m =>
        {
            var folds = m.FoldScores.Count > 0 ? m.FoldScores : [m.Score];
            return folds.Select((score, fold) => new AlignmentScore(neurons, comparison, m.Metric, sourceSeed, targetSeed, fold, score))
                .Concat(m.NullScores.Select((score, r) => new AlignmentScore(neurons, comparison, m.Metric, sourceSeed, targetSeed, -1, score, Null, r)))
                .Concat(m.BootstrapScores.Select((score, r) => new AlignmentScore(neurons, comparison, m.Metric, sourceSeed, targetSeed, -1, score, Bootstrap, r)));
        });

    /// <summary>Scores as a Parquet table, one row per score.</summary>
    public static void Write(string path, IReadOnlyList<AlignmentScore> scores) => TableParquet.Write(path,
    [
        TableColumn.Int32("neurons", scores.Select(s => s.Neurons).ToArray()),
        TableColumn.String("comparison", scores.Select(s => s.Comparison).ToArray()),
        TableColumn.String("metric", scores.Select(s => s.Metric).ToArray()),
        TableColumn.Int64("source_seed", scores.Select(s => s.SourceSeed).ToArray()),
        TableColumn.Int64("target_seed", scores.Select(s => s.TargetSeed).ToArray()),
        TableColumn.Int32("fold", scores.Select(s => s.Fold).ToArray()),
        TableColumn.Float64("score", scores.Select(s => s.Score).ToArray()),
        TableColumn.String("sample", scores.Select(s => s.Sample).ToArray()),
        TableColumn.Int32("replicate", scores.Select(s => s.Replicate).ToArray()),
    ]);

    /// <summary>Reads <see cref="Write"/>'s table; tables written before calibration existed hold observed fold scores only.</summary>
    public static IReadOnlyList<AlignmentScore> Read(string path)
    {
        var c = TableParquet.Read(path).ToDictionary(x => x.Name, x => x.Values);
        var neurons = (int[])c["neurons"];
        var comparison = (string[])c["comparison"];
        var metric = (string[])c["metric"];
        var source = (long[])c["source_seed"];
        var target = (long[])c["target_seed"];
        var fold = (int[])c["fold"];
        var score = (double[])c["score"];
        var sample = c.TryGetValue("sample", out var s) ? (string[])s : null;
        var replicate = c.TryGetValue("replicate", out var r) ? (int[])r : null;
        return Enumerable.Range(0, neurons.Length)
            .Select(k => new AlignmentScore(neurons[k], comparison[k], metric[k], source[k], target[k], fold[k], score[k],
                sample?[k] ?? Observed, replicate?[k] ?? 0)).ToArray();
    }
}

/// <summary>
/// A comparison's score for one metric: the mean over model pairs and folds, with the SEM over folds, and its
/// calibration (null mean and SD, calibrated score, p-value, bootstrap interval) when replicates ran.
/// </summary>
public sealed record AlignmentSummary(int Neurons, string Comparison, string Metric, double Mean, double Sem, int Folds)
{
    public ScoreCalibration? Calibration { get; init; }

    /// <summary>
    /// Groups scores by (width, comparison, metric). Model pairs are averaged within a fold first, so the SEM is over
    /// folds, as in the paper's cross-validated protocol; likewise within each replicate, so replicates are of the mean.
    /// </summary>
    public static IReadOnlyList<AlignmentSummary> Of(IEnumerable<AlignmentScore> scores) =>
        scores.GroupBy(s => (s.Neurons, s.Comparison, s.Metric))
            .Select(g =>
            {
                var perFold = g.Where(s => s.Sample == AlignmentScore.Observed)
                    .GroupBy(s => s.Fold).OrderBy(f => f.Key).Select(f => f.Average(s => s.Score)).ToArray();
                double mean = perFold.Average();
                double sem = perFold.Length > 1
                    ? Math.Sqrt(perFold.Sum(x => (x - mean) * (x - mean)) / (perFold.Length - 1) / perFold.Length)
                    : 0;
                return new AlignmentSummary(g.Key.Neurons, g.Key.Comparison, g.Key.Metric, mean, sem, perFold.Length)
                {
                    Calibration = ScoreCalibration.Of(mean, Replicates(g, AlignmentScore.Null).Values, Replicates(g, AlignmentScore.Bootstrap).Values,
                        AlignmentMetric.Get(g.Key.Metric).HigherIsAligned),
                };
            })
            .OrderBy(s => s.Neurons).ThenBy(s => s.Metric, StringComparer.Ordinal)
            .ThenBy(s => IndexOf(s.Comparison))
            .ToArray();

    /// <summary>Each replicate's score averaged over model pairs, by replicate number.</summary>
    private static SortedDictionary<int, double> Replicates(IEnumerable<AlignmentScore> scores, string sample) =>
        new(scores.Where(s => s.Sample == sample).GroupBy(s => s.Replicate).ToDictionary(r => r.Key, r => r.Average(s => s.Score)));

    /// <summary>(sae->sae / neuron->neuron - 1) x 100%: how much disentanglement changed the alignment; null when either is missing or the base is 0.</summary>
    public static double? RelativeChangePercent(IReadOnlyList<AlignmentSummary> summaries, int neurons, string metric)
    {
        var (before, after) = BeforeAfter(summaries, neurons, metric);
        return before is null || after is null ? null : Change(before.Mean, after.Mean);
    }

    /// <summary>
    /// The change for every width and metric present, with its bootstrap percentile interval (the change in each paired
    /// replicate: replicate r resamples the same stimuli in every comparison) and the change between calibrated scores.
    /// </summary>
    public static IReadOnlyList<AlignmentChange> Changes(IReadOnlyList<AlignmentScore> all)
    {
        var summaries = Of(all);
        return summaries.Select(s => (s.Neurons, s.Metric)).Distinct().Select(g =>
        {
            var (before, after) = BeforeAfter(summaries, g.Neurons, g.Metric);
            var percent = before is null || after is null ? null : Change(before.Mean, after.Mean);
            var boot = Replicates(all.Where(s => s.Neurons == g.Neurons && s.Metric == g.Metric && s.Comparison == Comparisons.NeuronToNeuron), AlignmentScore.Bootstrap);
            var bootAfter = Replicates(all.Where(s => s.Neurons == g.Neurons && s.Metric == g.Metric && s.Comparison == Comparisons.SaeToSae), AlignmentScore.Bootstrap);
            var changes = boot.Keys.Where(bootAfter.ContainsKey).Select(r => Change(boot[r], bootAfter[r])).OfType<double>().Where(double.IsFinite).Order().ToArray();
            // A ratio of chance-corrected similarities; for a distance (procrustes-angle) a ratio of negative numbers would read backwards.
            double? calibrated = AlignmentMetric.Get(g.Metric).HigherIsAligned && before?.Calibration?.Calibrated is { } cb
                && after?.Calibration?.Calibrated is { } ca && cb > 0 ? Change(cb, ca) : null;
            return new AlignmentChange(g.Neurons, g.Metric, percent)
            {
                PercentLow = ScoreCalibration.Percentile(changes, (1 - ScoreCalibration.Confidence) / 2),
                PercentHigh = ScoreCalibration.Percentile(changes, 1 - (1 - ScoreCalibration.Confidence) / 2),
                CalibratedPercent = calibrated,
            };
        }).ToArray();
    }

    private static (AlignmentSummary? Before, AlignmentSummary? After) BeforeAfter(IReadOnlyList<AlignmentSummary> summaries, int neurons, string metric) =>
        (summaries.FirstOrDefault(s => s.Neurons == neurons && s.Metric == metric && s.Comparison == Comparisons.NeuronToNeuron),
            summaries.FirstOrDefault(s => s.Neurons == neurons && s.Metric == metric && s.Comparison == Comparisons.SaeToSae));

    private static double? Change(double before, double after) => before == 0 ? null : (after / before - 1) * 100;

    private static int IndexOf(string comparison)
    {
        int index = Comparisons.All.ToList().IndexOf(comparison);
        return index < 0 ? int.MaxValue : index;
    }
}

/// <summary>
/// How much disentanglement changed one metric at one width, in percent (null when undefined): the change in mean
/// scores, its bootstrap interval (when bootstrap replicates ran) and the change between null-calibrated scores (when
/// nulls ran and the calibrated before-score is positive).
/// </summary>
public sealed record AlignmentChange(int Neurons, string Metric, double? Percent)
{
    public double? PercentLow { get; init; }
    public double? PercentHigh { get; init; }
    public double? CalibratedPercent { get; init; }
}
