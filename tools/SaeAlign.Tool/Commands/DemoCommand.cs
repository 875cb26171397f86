using System.CommandLine;
using SaeAlign.Core;
using SaeAlign.Pipelines;

namespace SaeAlign.Tool.Commands;

/// <summary>
/// `saealign demo`: the paper-toy disentanglement pipeline at a scale that finishes in a few minutes on two
/// cores, then the before/after table and where the report and plots are. A re-run reuses finished stages.
/// </summary>
internal static class DemoCommand
{
    public const string Preset = "paper-toy";
    /// <summary>The smallest scale at which the SAEs train far enough to show the paper's effect (see DisentanglementScienceTests).</summary>
    public const double Scale = 0.3;
    public static readonly IReadOnlyList<int> Neurons = [16, 32];
    /// <summary>Ridge's exact leave-one-out pass over 600,000 held-out rows would double the demo's time; the full preset has it.</summary>
    public static readonly IReadOnlyList<string> Metrics = ["semi", "soft"];

    public static PipelineSpec Spec() => PipelineSpec.LoadPreset(Preset).Scaled(Scale) with { Neurons = Neurons, Metrics = Metrics };

    public static Command Create(CliConsole console)
    {
        var output = new Option<string>("--out") { Description = "Run folder for the demo (a re-run reuses finished stages).", DefaultValueFactory = _ => "saealign-demo" };
        var common = new CommonOptions();
        var command = new Command("demo",
            $"The {Preset} experiment at {Scale:0.##} scale for m = {string.Join(", ", Neurons)}: toy models, an SAE per model, alignment before/after, report and plots.")
        {
            output,
        };
        common.AddTo(command);
        command.SetAction((parse, cancellationToken) =>
        {
            var settings = common.Read(parse);
            var result = PipelineCommand.Run(console, settings, Spec(), $"{Preset} demo", parse.GetValue(output)!, cancellationToken);
            PipelineCommand.Report(console, settings, result);
            if (!settings.Json)
                console.Out.WriteLine($"Full scale (about five minutes per width on two cores; the 20 permutation nulls add about 2.5 times the alignment stage, --null-permutations 0 skips them): saealign pipeline run --preset {Preset} --out runs/{Preset}");
            return Task.FromResult(ExitCodes.Success);
        });
        return command;
    }
}
