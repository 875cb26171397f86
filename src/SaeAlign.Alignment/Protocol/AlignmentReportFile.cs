using System.Globalization;
using System.Text.Json;
using SaeAlign.Data;

namespace SaeAlign.Alignment;

/// <summary>The Parquet form of an <see cref="AlignmentReport"/> (<c>saealign align --report</c>, the worker's <c>align</c> job).</summary>
public static class AlignmentReportFile
{
    /// <summary>One row per metric and fold (fold -1: the fold mean with its SEM; NaN where there is none).</summary>
    public static void Write(string path, AlignmentReport result, string sourcePath, string targetPath)
    {
        var rows = result.Metrics.SelectMany(m => new[] { (Metric: m, Fold: -1, Score: m.Score, Sem: m.Sem ?? double.NaN) }
            .Concat(m.FoldScores.Count > 1 ? m.FoldScores.Select((s, f) => (Metric: m, Fold: f, Score: s, Sem: double.NaN)) : [])).ToArray();
        TableParquet.Write(path,
        [
            TableColumn.String("metric", rows.Select(r => r.Metric.Metric).ToArray()),
            TableColumn.String("direction", rows.Select(r => r.Metric.Direction).ToArray()),
            TableColumn.String("protocol", rows.Select(r => r.Metric.Protocol).ToArray()),
            TableColumn.Int32("fold", rows.Select(r => r.Fold).ToArray()),
            TableColumn.Float64("score", rows.Select(r => r.Score).ToArray()),
            TableColumn.Float64("sem", rows.Select(r => r.Sem).ToArray()),
        ], new Dictionary<string, string>
        {
            ["saealign.align.source"] = sourcePath,
            ["saealign.align.target"] = targetPath,
            ["saealign.align.cv"] = result.Cv,
            ["saealign.align.rows"] = result.Rows.ToString(CultureInfo.InvariantCulture),
            ["saealign.align.dropped_source_units"] = JsonSerializer.Serialize(result.DroppedSourceUnits),
            ["saealign.align.dropped_target_units"] = JsonSerializer.Serialize(result.DroppedTargetUnits),
        });
    }
}
