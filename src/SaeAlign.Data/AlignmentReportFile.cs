using System.Globalization;
using System.Text.Json;

namespace SaeAlign.Data;

/// <summary>One metric's scores as a report file holds them: the fold mean (or single score), its SEM, and every fold's score.</summary>
public sealed record ReportedMetric(string Metric, string Direction, string Protocol, double Score, double? Sem, IReadOnlyList<double> FoldScores)
{
    /// <summary>The score of each permutation-null replicate; empty when none ran.</summary>
    public IReadOnlyList<double> NullScores { get; init; } = [];

    /// <summary>The score of each bootstrap replicate; empty when none ran.</summary>
    public IReadOnlyList<double> BootstrapScores { get; init; } = [];
}

/// <summary>The run a report file describes: the two inputs, the CV spec, the rows and the dropped (constant) units.</summary>
public sealed record ReportedRun(string SourcePath, string TargetPath, string Cv, int Rows,
    IReadOnlyList<string> DroppedSourceUnits, IReadOnlyList<string> DroppedTargetUnits);

/// <summary>The Parquet form of an alignment report (<c>saealign align --report</c>, the worker's <c>align</c> job).</summary>
public static class AlignmentReportFile
{
    /// <summary>
    /// One row per metric and fold (sample "observed"; fold -1: the fold mean with its SEM; NaN where there is none),
    /// then one per calibration replicate (sample "null" or "bootstrap", fold -1, its number in replicate).
    /// </summary>
    public static void Write(string path, IReadOnlyList<ReportedMetric> metrics, ReportedRun run)
    {
        var rows = metrics.SelectMany(m => new[] { (Metric: m, Fold: -1, Score: m.Score, Sem: m.Sem ?? double.NaN, Sample: "observed", Replicate: 0) }
            .Concat(m.FoldScores.Count > 1 ? m.FoldScores.Select((s, f) => (Metric: m, Fold: f, Score: s, Sem: double.NaN, Sample: "observed", Replicate: 0)) : [])
            .Concat(m.NullScores.Select((s, r) => (Metric: m, Fold: -1, Score: s, Sem: double.NaN, Sample: "null", Replicate: r)))
            .Concat(m.BootstrapScores.Select((s, r) => (Metric: m, Fold: -1, Score: s, Sem: double.NaN, Sample: "bootstrap", Replicate: r)))).ToArray();
        TableParquet.Write(path,
        [
            TableColumn.String("metric", rows.Select(r => r.Metric.Metric).ToArray()),
            TableColumn.String("direction", rows.Select(r => r.Metric.Direction).ToArray()),
            TableColumn.String("protocol", rows.Select(r => r.Metric.Protocol).ToArray()),
            TableColumn.Int32("fold", rows.Select(r => r.Fold).ToArray()),
            TableColumn.Float64("score", rows.Select(r => r.Score).ToArray()),
            TableColumn.Float64("sem", rows.Select(r => r.Sem).ToArray()),
            TableColumn.String("sample", rows.Select(r => r.Sample).ToArray()),
            TableColumn.Int32("replicate", rows.Select(r => r.Replicate).ToArray()),
        ], new Dictionary<string, string>
        {
            ["saealign.align.source"] = run.SourcePath,
            ["saealign.align.target"] = run.TargetPath,
            ["saealign.align.cv"] = run.Cv,
            ["saealign.align.rows"] = run.Rows.ToString(CultureInfo.InvariantCulture),
            ["saealign.align.dropped_source_units"] = JsonSerializer.Serialize(run.DroppedSourceUnits),
            ["saealign.align.dropped_target_units"] = JsonSerializer.Serialize(run.DroppedTargetUnits),
        });
    }
}
