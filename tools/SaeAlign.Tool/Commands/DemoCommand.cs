using System.CommandLine;
using SaeAlign.Core;
using SaeAlign.ToyModels;

namespace SaeAlign.Tool.Commands;

/// <summary>
/// `saealign demo`: a small toy pair end to end on embedded defaults, so a new user sees the workflow
/// and its files in about a minute. The demo owns its output folder and replaces it on every run.
/// </summary>
internal static class DemoCommand
{
    public const string Preset = "paper-64x16";
    public const int Steps = 3000;
    public const int EvalRows = 20_000;

    public static Command Create(CliConsole console)
    {
        var output = new Option<string>("--out") { Description = "Folder for the demo's files (replaced on every run).", DefaultValueFactory = _ => "saealign-demo" };
        var common = new CommonOptions();
        var command = new Command("demo", $"Train two {Preset} toy models (seeds 0 and 1, same data) at demo scale and show where the files are.") { output };
        common.AddTo(command);
        command.SetAction((parse, cancellationToken) =>
        {
            var settings = common.Read(parse);
            var config = ToyPreset.Load(Preset).Config with { Steps = Steps, EvalRows = EvalRows };
            var folder = Path.Combine(parse.GetValue(output)!, "toy");
            var result = ToyTrainCommand.Run(console, new ToyExperiment(config, [0, 1]), folder, force: true, settings, cancellationToken);
            ToyTrainCommand.Report(console, result, settings.Json);
            if (!settings.Json)
            {
                console.Out.WriteLine("Files (Parquet, readable by pandas/pyarrow/DuckDB):");
                foreach (var file in result.Files) console.Out.WriteLine($"  {Path.Combine(result.Folder, file)}");
                console.Out.WriteLine($"Next: saealign toy train --preset paper-64x32 --seeds 0,1 --out runs/paper-64x32");
            }
            return Task.FromResult(ExitCodes.Success);
        });
        return command;
    }
}
