using SaeAlign.Data;

namespace SaeAlign.Alignment;

/// <summary>
/// One metric's result. <see cref="Score"/> is the fold mean (or the single score), <see cref="Sem"/> its
/// standard error over folds (null without folds). <see cref="Protocol"/> says which rows were used:
/// the CV spec for fitted metrics, "all rows" or the stimulus sample for the others.
/// </summary>
public sealed record MetricResult(
    string Metric,
    string Direction,
    string Protocol,
    double Score,
    double? Sem,
    IReadOnlyList<double> FoldScores,
    IReadOnlyDictionary<string, double> Details)
{
    /// <summary>The score of each permutation-null replicate (<see cref="Calibration"/>); empty when none ran.</summary>
    public IReadOnlyList<double> NullScores { get; init; } = [];

    /// <summary>The score of each bootstrap replicate; empty when none ran.</summary>
    public IReadOnlyList<double> BootstrapScores { get; init; } = [];

    /// <summary>The null-calibrated score, p-value and bootstrap interval; null when no replicate ran.</summary>
    public ScoreCalibration? Calibration => ScoreCalibration.Of(Score, NullScores, BootstrapScores, AlignmentMetric.Get(Metric).HigherIsAligned);

    /// <summary>A fitted metric's result: the mean of its fold scores, and their SEM when there are several folds.</summary>
    public static MetricResult Fitted(IAlignmentMetric metric, string cv, double[] scores, IReadOnlyDictionary<string, double>? details = null)
    {
        var (mean, sem) = CrossValidation.Summarise(scores);
        return new MetricResult(metric.Name, DirectionOf(metric), cv, mean, scores.Length > 1 ? sem : null, scores, details ?? new Dictionary<string, double>());
    }

    /// <summary>An unfitted metric's single score on <paramref name="protocol"/>'s rows.</summary>
    public static MetricResult Unfitted(IAlignmentMetric metric, string protocol, double score, IReadOnlyDictionary<string, double>? details = null) =>
        new(metric.Name, DirectionOf(metric), protocol, score, null, [score], details ?? new Dictionary<string, double>());

    private static string DirectionOf(IAlignmentMetric metric) => metric.Directional ? "source->target" : "symmetric";
}

/// <summary>Everything `saealign align` reports: the inputs' shape, the dropped (constant) units, and each metric.</summary>
public sealed record AlignmentReport(
    int Rows,
    int SourceUnits,
    int TargetUnits,
    IReadOnlyList<string> DroppedSourceUnits,
    IReadOnlyList<string> DroppedTargetUnits,
    string Cv,
    IReadOnlyList<MetricResult> Metrics)
{
    /// <summary>Writes the report as Parquet (<see cref="AlignmentReportFile"/>), naming the inputs as the caller gave them.</summary>
    public void Write(string path, string sourcePath, string targetPath) =>
        AlignmentReportFile.Write(path,
            Metrics.Select(m => new ReportedMetric(m.Metric, m.Direction, m.Protocol, m.Score, m.Sem, m.FoldScores)
            {
                NullScores = m.NullScores,
                BootstrapScores = m.BootstrapScores,
            }).ToArray(),
            new ReportedRun(sourcePath, targetPath, Cv, Rows, DroppedSourceUnits, DroppedTargetUnits));
}
