using System.Globalization;
using System.Text.Json;
using SaeAlign.Pipelines;
using SaeAlign.ToyModels;
using Spectre.Console;

namespace SaeAlign.Tool.Commands;

/// <summary>
/// The before/after tables of `pipeline run`, `replay` and `demo`: one per width, a row per comparison and a
/// column per metric (narrow enough for an 80-column terminal), then the relative change.
/// </summary>
internal static class BeforeAfterTable
{
    public static void Print(CliConsole console, IReadOnlyList<AlignmentScore> scores)
    {
        var summaries = AlignmentSummary.Of(scores);
        var changes = AlignmentSummary.Changes(scores);
        foreach (var width in summaries.GroupBy(s => s.Neurons))
        {
            var metrics = width.Select(s => s.Metric).Distinct().ToArray();
            var table = new Table().Title($"m = {width.Key}: mean ± SEM over folds").AddColumn("comparison");
            foreach (var metric in metrics) table.AddColumn(new TableColumn(metric).RightAligned());
            foreach (var comparison in Comparisons.All)
                table.AddRow([Markup.Escape(comparison), .. metrics.Select(metric => width.FirstOrDefault(s => s.Comparison == comparison && s.Metric == metric) is { } s
                    ? Markup.Escape(PipelineReport.FormatScore(s, "\n")) : "")]);
            table.AddRow(["change", .. metrics.Select(metric => Markup.Escape(PipelineReport.FormatChange(changes.First(c => c.Neurons == width.Key && c.Metric == metric), "\n")))]);
            console.Results.Write(table);
        }
        console.Out.WriteLine("change = (sae->sae / neuron->neuron - 1) x 100%; random-sae->random-sae is the untrained-SAE control.");
        if (PipelineReport.Legend(summaries) is { Length: > 0 } legend) console.Out.WriteLine(legend);
    }

    /// <summary>The one JSON document of --json: <paramref name="result"/> (folders, stages), the summaries and the change per width and metric.</summary>
    public static void PrintJson(CliConsole console, IReadOnlyList<AlignmentScore> scores, object result) =>
        console.Out.WriteLine(JsonSerializer.Serialize(new { result, summaries = AlignmentSummary.Of(scores), changePercent = AlignmentSummary.Changes(scores) }, ToyModelConfig.Json));
}
