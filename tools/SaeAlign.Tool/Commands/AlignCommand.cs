using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using SaeAlign.Alignment;
using SaeAlign.Core;
using SaeAlign.Data;
using SaeAlign.Torch;
using Spectre.Console;

namespace SaeAlign.Tool.Commands;

/// <summary>`saealign align`: alignment metrics between two activation sets over the same stimuli (README, "Concepts": metrics).</summary>
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
        var triplets = new Option<string?>("--triplets") { Description = "Odd-one-out judgements, Parquet or CSV: integer columns i, j, k, odd (row indices), optional subject." };
        var memoryLimit = new Option<string?>("--memory-limit") { Description = "Memory the alignment may use, e.g. 16G (default: 80% of this machine's); a metric that cannot fit exits 2 before any work." };
        var report = new Option<string?>("--report") { Description = "Also write the results as a Parquet table to this file." };
        var common = new CommonOptions();
        var calibration = new CalibrationOptions();
        var command = new Command("align", "Alignment metrics between a source and a target activation set (same stimuli, same order).")
        {
            source, target, metrics, cv, stimuli, seed, k, triplets, report, memoryLimit,
        };
        common.AddTo(command);
        calibration.AddTo(command);
        command.SetAction((parse, cancellationToken) =>
        {
            var settings = common.Read(parse);
            TorchRuntime.Configure(settings.Threads);
            var device = settings.Device();
            var (nulls, bootstraps) = calibration.Read(parse);
            var align = new AlignSettings
            {
                NullPermutations = nulls,
                Bootstrap = bootstraps,
                Metrics = parse.GetValue(metrics) is { } m ? [m] : null, // a comma-separated list; ToOptions parses it
                Cv = parse.GetValue(cv),
                Stimuli = parse.GetValue(stimuli),
                Seed = parse.GetValue(seed),
                K = parse.GetValue(k),
            };
            string? tripletPath = parse.GetValue(triplets);
            // Bad options fail before any input is read; with a triplet file they are checked once it is.
            if (tripletPath is null) align.ToOptions();
            var reportPath = parse.GetValue(report);
            if (reportPath is not null)
                InvalidInputException.Require(Path.GetExtension(reportPath).Equals(".parquet", StringComparison.OrdinalIgnoreCase),
                    $"--report: '{reportPath}' must end in .parquet.");
            if (reportPath is not null) AtomicFile.RequireWritable(reportPath, InputField.Named("report"));

            long? limit = parse.GetValue(memoryLimit) is { } text ? OptionValues.Bytes(text, "--memory-limit") : null;
            string sourcePath = parse.GetValue(source)!, targetPath = parse.GetValue(target)!;
            var rows = ActivationRows.OpenForAlignment(sourcePath, targetPath, cancellationToken);
            var options = align.ToOptions(tripletPath is null ? null : TripletFile.Read(tripletPath, rows.Rows), limit) with { Device = device };
            if (!settings.Quiet) console.Error.WriteLine($"align: {rows.Rows} stimuli, {rows.SourceUnits} source units, {rows.TargetUnits} target units, cv {options.Cv}");
            var result = rows.Align(options, cancellationToken);
            if (reportPath is not null) result.Write(reportPath, sourcePath, targetPath);
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
                m.Metric, m.Direction, Markup.Escape(RowsUsed(m.Protocol)), Format(m.Score), m.Sem is { } sem ? Format(sem) : "",
                Markup.Escape(string.Join(", ", m.Details.Select(d => $"{d.Key}={d.Value.ToString("G4", CultureInfo.InvariantCulture)}"))));
        }
        console.Results.Write(table);
        PrintCalibration(console, result);
        console.Out.WriteLine($"{result.Rows} stimuli; dropped constant units: source {Names(result.DroppedSourceUnits)}, target {Names(result.DroppedTargetUnits)}.");
        if (reportPath is not null) console.Out.WriteLine($"Report: {reportPath}");
    }

    /// <summary>The calibration table (README, "Calibration"), when replicates ran: null, calibrated score, p-value, interval.</summary>
    private static void PrintCalibration(CliConsole console, AlignmentReport result)
    {
        int permutations = result.Metrics.Max(m => m.Calibration?.Permutations ?? 0), bootstraps = result.Metrics.Max(m => m.Calibration?.Bootstraps ?? 0);
        if (permutations == 0 && bootstraps == 0) return;
        var table = new Table().AddColumns("metric", "score");
        if (permutations > 0) table.AddColumns("null mean ± SD", "calibrated", "p");
        if (bootstraps > 0) table.AddColumns("95% interval");
        foreach (var m in result.Metrics)
        {
            var c = m.Calibration;
            var cells = new List<string> { m.Metric, Format(m.Score) };
            if (permutations > 0)
                cells.AddRange(c is { NullMean: { } mean, Calibrated: { } calibrated, PValue: { } p }
                    ? [$"{Format(mean)} ± {(c.NullSd is { } sd ? Format(sd) : "?")}", Format(calibrated), p.ToString("0.000", CultureInfo.InvariantCulture)]
                    : ["", "", ""]);
            if (bootstraps > 0) cells.Add(c is { IntervalLow: { } low, IntervalHigh: { } high } ? Markup.Escape($"[{Format(low)}, {Format(high)}]") : "");
            table.AddRow(cells.ToArray());
        }
        console.Results.Write(table);
        if (permutations > 0)
            console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"calibrated = score - null mean over {permutations} permutations of the target's stimuli within folds; p = empirical p-value (smallest possible {1.0 / (permutations + 1):0.000})."));
        if (bootstraps > 0)
            console.Out.WriteLine($"95% interval: percentiles of {bootstraps} bootstrap resamples of the stimuli within folds.");
    }

    /// <summary>Without cross-validation (--cv none) a fitted metric fits and scores on every row.</summary>
    private static string RowsUsed(string protocol) => protocol == CrossValidation.None.ToString() ? "all rows" : protocol;

    private static string Names(IReadOnlyList<string> names) => names.Count == 0 ? "none" : $"{names.Count} ({string.Join(", ", names.Take(10))}{(names.Count > 10 ? ", ..." : "")})";

    private static string Format(double value) => value.ToString("0.0000", CultureInfo.InvariantCulture);
}
