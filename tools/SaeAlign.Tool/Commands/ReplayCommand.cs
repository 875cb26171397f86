using System.CommandLine;
using SaeAlign.Alignment;
using SaeAlign.Core;
using SaeAlign.Data;
using SaeAlign.Pipelines;
using SaeAlign.Torch;

namespace SaeAlign.Tool.Commands;

/// <summary>
/// `saealign replay`: alignment before/after disentanglement for SAEs trained anywhere. Both activation sets are
/// encoded with their own SAE (dictionary .parquet, `sae train` folder or SAELens folder) and compared.
/// </summary>
internal static class ReplayCommand
{
    public static Command Create(CliConsole console)
    {
        var sourceActs = new Option<string>("--source-acts") { Description = "Source model's activations (.parquet or .npy): rows are stimuli.", Required = true };
        var targetActs = new Option<string>("--target-acts") { Description = "Target model's activations over the same stimuli.", Required = true };
        var sourceSae = new Option<string>("--source-sae") { Description = "The source model's SAE: dictionary .parquet, `sae train` run folder, or SAELens folder.", Required = true };
        var targetSae = new Option<string>("--target-sae") { Description = "The target model's SAE (same forms).", Required = true };
        var metrics = new Option<string>("--metrics") { Description = $"Comma-separated metrics: {string.Join(", ", AlignmentMetric.All)}.", DefaultValueFactory = _ => "semi,soft,ridge" };
        var cv = new Option<string>("--cv") { Description = "none, or kfold:K:SEED.", DefaultValueFactory = _ => CrossValidation.Default.ToString() };
        var memoryLimit = new Option<string?>("--memory-limit") { Description = "Memory the alignment may use, e.g. 16G (default: 80% of this machine's); a metric that cannot fit exits 2 before any work." };
        var output = new Option<string?>("--out") { Description = "Also write the report (scores.parquet, summary.md/json, PNG bars) to this folder." };
        var force = new Option<bool>("--force") { Description = "Replace an existing --out folder." };
        var common = new CommonOptions();
        var calibration = new CalibrationOptions();
        var command = new Command("replay", "Encode two models' activations with their SAEs and show alignment before/after disentanglement.")
        {
            sourceActs, targetActs, sourceSae, targetSae, metrics, cv, output, force, memoryLimit,
        };
        common.AddTo(command);
        calibration.AddTo(command);
        command.SetAction((parse, cancellationToken) =>
        {
            var settings = common.Read(parse);
            TorchRuntime.Configure(settings.Threads);
            var (nulls, bootstraps) = calibration.Read(parse);
            var options = new AlignmentOptions
            {
                NullPermutations = nulls ?? Calibration.DefaultPermutations,
                Bootstrap = bootstraps ?? 0,
                Metrics = AlignmentMetric.Parse(parse.GetValue(metrics)!, InputField.Named("metrics")),
                Cv = CrossValidation.Parse(parse.GetValue(cv)!, InputField.Named("cv")),
                MemoryLimit = parse.GetValue(memoryLimit) is { } limit ? OptionValues.Bytes(limit, "--memory-limit") : null,
                Device = settings.Device(),
            };
            options.Validate();
            var inputs = new ReplayInputs(parse.GetValue(sourceActs)!, parse.GetValue(targetActs)!, parse.GetValue(sourceSae)!, parse.GetValue(targetSae)!);
            var folder = parse.GetValue(output);
            // Claimed before the work, so a refused --out costs nothing; written only when everything succeeded.
            using var run = folder is null ? null : RunFolder.Create(folder, parse.GetValue(force));
            var result = StageProgress.Run(console, settings, progress =>
            {
                int done = 0;
                return AlignmentReplay.Run(inputs, options,
                    _ => progress?.Report(new PipelineProgress("replay: alignment", (double)++done / Comparisons.All.Count)), cancellationToken);
            });
            if (run is not null) AlignmentReplay.WriteReport(run, inputs, options, result);
            string? report = folder is null ? null : Path.GetFullPath(folder);
            if (settings.Json)
            {
                BeforeAfterTable.PrintJson(console, result.Scores, new { report, rows = result.Rows, sourceUnits = result.SourceUnits, targetUnits = result.TargetUnits });
                return Task.FromResult(ExitCodes.Success);
            }
            console.Out.WriteLine($"replay: {result.Rows} stimuli, {result.SourceUnits} source and {result.TargetUnits} target units, cv {options.Cv}");
            BeforeAfterTable.Print(console, result.Scores);
            if (report is not null) console.Out.WriteLine($"Report: {report}");
            return Task.FromResult(ExitCodes.Success);
        });
        return command;
    }
}
