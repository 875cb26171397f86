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
    IReadOnlyDictionary<string, double> Details);

/// <summary>Everything `saealign align` reports: the inputs' shape, the dropped (constant) units, and each metric.</summary>
public sealed record AlignmentReport(
    int Rows,
    int SourceUnits,
    int TargetUnits,
    IReadOnlyList<string> DroppedSourceUnits,
    IReadOnlyList<string> DroppedTargetUnits,
    string Cv,
    IReadOnlyList<MetricResult> Metrics);
