using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using SaeAlign.Alignment;
using SaeAlign.Core;
using SaeAlign.Data;
using Spectre.Console;
using ReportColumn = SaeAlign.Data.TableColumn;

namespace SaeAlign.Tool.Commands;

/// <summary>`saealign align`: alignment metrics between two activation sets over the same stimuli (DESIGN.md, alignment metrics).</summary>
internal static class AlignCommand
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        WriteIndented = true,
    };

    public static Command Create(CliConsole console)
    {
        var source = new Option<string>("--source") { Description = "Source activations (.parquet or .npy): rows are stimuli, columns units.", Required = true };
        var target = new Option<string>("--target") { Description = "Target activations (.parquet or .npy) over the same stimuli.", Required = true };
        var metrics = new Option<string?>("--metrics") { Description = $"Comma-separated metrics: {string.Join(", ", AlignmentMetric.All)}. Default: {string.Join(",", AlignmentMetric.Defaults)} (+ triplet with --triplets)." };
        var cv = new Option<string>("--cv") { Description = "none, or kfold:K:SEED (fit on K-1 folds, score on the held-out fold).", DefaultValueFactory = _ => CrossValidation.Default.ToString() };
        var stimuli = new Option<int>("--stimuli") { Description = "At most this many stimuli (a seeded sample) for rsa and mknn.", DefaultValueFactory = _ => 10_000 };
        var seed = new Option<long>("--seed") { Description = "Seed of the rsa/mknn stimulus sample.", DefaultValueFactory = _ => 0 };
        var k = new Option<int>("--k") { Description = "Neighbours per stimulus for mknn.", DefaultValueFactory = _ => MutualKnn.DefaultK };
        var triplets = new Option<string?>("--triplets") { Description = "Parquet file of odd-one-out judgements: integer columns i, j, k, odd (row indices)." };
        var report = new Option<string?>("--report") { Description = "Also write the results as a Parquet table to this file." };
        var common = new CommonOptions();
        var command = new Command("align", "Alignment metrics between a source and a target activation set (same stimuli, same order).")
        {
            source, target, metrics, cv, stimuli, seed, k, triplets, report,
        };
        common.AddTo(command);
        command.SetAction((parse, cancellationToken) =>
        {
            var settings = common.Read(parse);
            TorchRuntime.Configure(settings.Threads);
            var cvSpec = CrossValidation.Parse(parse.GetValue(cv)!, "--cv");
            var tripletPath = parse.GetValue(triplets);
            var metricNames = parse.GetValue(metrics) is { } m
                ? AlignmentMetric.Parse(m, "--metrics")
                : tripletPath is null ? AlignmentMetric.Defaults : [.. AlignmentMetric.Defaults, AlignmentMetric.Triplet];
            InvalidInputException.Require(parse.GetValue(stimuli) >= 3, $"--stimuli must be at least 3, got {parse.GetValue(stimuli)}.");
            var reportPath = parse.GetValue(report);
            if (reportPath is not null)
                InvalidInputException.Require(Path.GetExtension(reportPath).Equals(".parquet", StringComparison.OrdinalIgnoreCase),
                    $"--report: '{reportPath}' must end in .parquet.");

            string sourcePath = parse.GetValue(source)!, targetPath = parse.GetValue(target)!;
            var rows = ActivationRows.Open(sourcePath, targetPath, cancellationToken);
            var options = new AlignmentOptions
            {
                Metrics = metricNames,
                Cv = cvSpec,
                Stimuli = parse.GetValue(stimuli),
                Seed = parse.GetValue(seed),
                K = parse.GetValue(k),
                Triplets = tripletPath is null ? null : TripletAgreement.Read(tripletPath, rows.Rows),
            };
            if (!settings.Quiet) console.Error.WriteLine($"align: {rows.Rows} stimuli, {rows.SourceUnits} source units, {rows.TargetUnits} target units, cv {cvSpec}");
            var result = AlignmentRunner.Run(rows, options, cancellationToken);
            if (reportPath is not null) WriteReport(reportPath, result, sourcePath, targetPath);
            Print(console, result, settings.Json, reportPath);
            return Task.FromResult(ExitCodes.Success);
        });
        return command;
    }

    private static void Print(CliConsole console, AlignmentReport result, bool json, string? reportPath)
    {
        if (json)
        {
            console.Out.WriteLine(JsonSerializer.Serialize(new { report = reportPath, result }, Json));
            return;
        }
        var table = new Table().AddColumns("metric", "direction", "rows used", "score", "SEM", "details");
        foreach (var m in result.Metrics)
        {
            table.AddRow(
                m.Metric, m.Direction, Markup.Escape(m.Protocol), Format(m.Score), m.Sem is { } sem ? Format(sem) : "",
                Markup.Escape(string.Join(", ", m.Details.Select(d => $"{d.Key}={d.Value.ToString("G4", CultureInfo.InvariantCulture)}"))));
        }
        console.Results.Write(table);
        console.Out.WriteLine($"{result.Rows} stimuli; dropped constant units: source {Names(result.DroppedSourceUnits)}, target {Names(result.DroppedTargetUnits)}.");
        if (reportPath is not null) console.Out.WriteLine($"Report: {reportPath}");
    }

    private static string Names(IReadOnlyList<string> names) => names.Count == 0 ? "none" : $"{names.Count} ({string.Join(", ", names.Take(10))}{(names.Count > 10 ? ", ..." : "")})";

    private static string Format(double value) => value.ToString("0.0000", CultureInfo.InvariantCulture);

    /// <summary>One row per metric and fold (fold -1: the fold mean with its SEM; NaN where there is none).</summary>
    private static void WriteReport(string path, AlignmentReport result, string sourcePath, string targetPath)
    {
        var rows = result.Metrics.SelectMany(m => new[] { (Metric: m, Fold: -1, Score: m.Score, Sem: m.Sem ?? double.NaN) }
            .Concat(m.FoldScores.Count > 1 ? m.FoldScores.Select((s, f) => (Metric: m, Fold: f, Score: s, Sem: double.NaN)) : [])).ToArray();
        TableParquet.Write(path,
        [
            ReportColumn.String("metric", rows.Select(r => r.Metric.Metric).ToArray()),
            ReportColumn.String("direction", rows.Select(r => r.Metric.Direction).ToArray()),
            ReportColumn.String("protocol", rows.Select(r => r.Metric.Protocol).ToArray()),
            ReportColumn.Int32("fold", rows.Select(r => r.Fold).ToArray()),
            ReportColumn.Float64("score", rows.Select(r => r.Score).ToArray()),
            ReportColumn.Float64("sem", rows.Select(r => r.Sem).ToArray()),
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
