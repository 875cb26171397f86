using System.CommandLine;
using SaeAlign.Core;
using SaeAlign.Pipelines;
using SaeAlign.Torch;

namespace SaeAlign.Tool.Commands;

/// <summary>`saealign pipeline run`: the disentanglement experiment from a spec or preset, resumable, with a report.</summary>
internal static class PipelineCommand
{
    public static Command Create(CliConsole console)
    {
        var specFile = new Argument<string?>("SPEC.json") { Description = "Experiment spec (JSON; unknown fields are rejected). Or use --preset.", Arity = ArgumentArity.ZeroOrOne };
        var preset = new Option<string?>("--preset") { Description = $"A shipped experiment: {string.Join(", ", PipelineSpec.PresetNames)}." };
        var scale = new Option<double>("--scale") { Description = "Run at this fraction of the toy steps and stimuli, in (0, 1] (e.g. 0.05 for a quick look).", DefaultValueFactory = _ => 1.0 };
        var neurons = new Option<string?>("--neurons") { Description = "Only these toy widths, e.g. 32 or 16,32 (default: the spec's)." };
        var output = new Option<string>("--out") { Description = "Run folder; a re-run with the same spec resumes after the last finished stage.", Required = true };
        var common = new CommonOptions();
        var calibration = new CalibrationOptions();
        var run = new Command("run", "Train toy models, an SAE per model, and report alignment before/after disentanglement. " +
            "--threads N runs N seeds or model pairs at once, one torch thread each; results do not depend on it.") { specFile, preset, scale, neurons, output };
        common.AddTo(run);
        calibration.AddTo(run);
        run.SetAction((parse, cancellationToken) =>
        {
            var settings = common.Read(parse);
            string? path = parse.GetValue(specFile), presetName = parse.GetValue(preset);
            InvalidInputException.Require(path is null != (presetName is null), "pipeline run needs exactly one of SPEC.json or --preset NAME.");
            var spec = path is not null ? PipelineSpec.Load(path) : PipelineSpec.LoadPreset(presetName!);
            if (parse.GetValue(neurons) is { } widths) spec = spec with { Neurons = Widths(widths) };
            spec = spec.Scaled(parse.GetValue(scale));
            var (nulls, bootstraps) = calibration.Read(parse);
            spec = spec with { NullPermutations = nulls ?? spec.NullPermutations, Bootstrap = bootstraps ?? spec.Bootstrap };
            spec.AlignmentOptions();
            string title = presetName ?? Path.GetFileNameWithoutExtension(path!);
            var result = Run(console, settings, spec, title, parse.GetValue(output)!, cancellationToken);
            Report(console, settings, result);
            return Task.FromResult(ExitCodes.Success);
        });
        return new Command("pipeline", "The disentanglement pipeline: toy models -> SAEs -> alignment before/after.") { run };
    }

    public static PipelineResult Run(CliConsole console, CommonSettings settings, PipelineSpec spec, string title, string folder, CancellationToken cancellationToken)
    {
        // Toy-sized models run fastest on one torch thread each, with --threads seeds (or model pairs) at once.
        TorchRuntime.Configure(threads: 1);
        var pipeline = new DisentanglementPipeline(spec, title, settings.Threads == 0 ? Environment.ProcessorCount : settings.Threads, settings.Device());
        return StageProgress.Run(console, settings, progress => pipeline.Run(folder, progress, cancellationToken));
    }

    public static void Report(CliConsole console, CommonSettings settings, PipelineResult result)
    {
        string report = Path.Combine(result.Folder, DisentanglementPipeline.ReportFolder);
        if (settings.Json)
        {
            BeforeAfterTable.PrintJson(console, result.Scores, new { folder = result.Folder, report, stagesRun = result.StagesRun });
            return;
        }
        BeforeAfterTable.Print(console, result.Scores);
        console.Out.WriteLine($"Stages run: {(result.StagesRun.Count == 0 ? "none (all reused)" : string.Join(", ", result.StagesRun))}");
        console.Out.WriteLine($"Report (summary.md, scores.parquet, PNG plots): {report}");
    }

    private static IReadOnlyList<int> Widths(string text) =>
        text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(p => int.TryParse(p, out int m) && m >= 1 ? m : throw new InvalidInputException($"--neurons: '{p}' is not a positive width."))
            .ToArray() is { Length: > 0 } widths ? widths : throw new InvalidInputException("--neurons must list at least one width, e.g. --neurons 16,32.");
}
