using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using SaeAlign.Core;
using SaeAlign.Torch;
using SaeAlign.ToyModels;
using Spectre.Console;

namespace SaeAlign.Tool.Commands;

/// <summary>`saealign toy train`: train toy models (one per seed, same data) and write a run folder.</summary>
internal static class ToyTrainCommand
{
    public static Command Create(CliConsole console)
    {
        var preset = new Option<string?>("--preset") { Description = $"Start from a preset: {string.Join(", ", ToyPreset.Names)}. Explicit options override its values." };
        var architecture = new Option<string?>("--architecture") { Description = "hidden-relu (the disentanglement paper) or relu-output (Elhage et al.)." };
        var features = new Option<int?>("--features") { Description = "Number of features n." };
        var neurons = new Option<int?>("--neurons") { Description = "Number of hidden neurons m." };
        var probability = new Option<double?>("--probability") { Description = "Probability that a feature is active, in (0, 1]." };
        var importance = new Option<string?>("--importance") { Description = "Feature importance: paper ((1 + 2i/n)^-2), elhage (0.9^i) or uniform." };
        var steps = new Option<int?>("--steps") { Description = "Training steps." };
        var batch = new Option<int?>("--batch") { Description = "Batch size." };
        var lr = new Option<double?>("--lr") { Description = "AdamW learning rate." };
        var weightDecay = new Option<double?>("--weight-decay") { Description = "AdamW weight decay." };
        var evalRows = new Option<int?>("--eval-rows") { Description = "Held-out evaluation stimuli to save (default 100,000)." };
        var dataSeed = new Option<long?>("--data-seed") { Description = "Seed of the shared data stream (default 0)." };
        var seeds = new Option<string>("--seeds") { Description = "Initialisation seeds, one model each, e.g. 0,1.", DefaultValueFactory = _ => "0,1" };
        var output = new Option<string>("--out") { Description = "Run folder to write.", Required = true };
        var force = new Option<bool>("--force") { Description = "Replace an existing output folder." };
        var common = new CommonOptions();

        var command = new Command("train", "Train toy models of superposition (one per seed, same data stream) and write a run folder.")
        {
            preset, architecture, features, neurons, probability, importance, steps, batch, lr, weightDecay, evalRows, dataSeed, seeds, output, force,
        };
        common.AddTo(command);
        command.SetAction((parse, cancellationToken) =>
        {
            var toy = new ToyTrainSettings
            {
                Preset = parse.GetValue(preset),
                Architecture = parse.GetValue(architecture) is { } a ? OptionValues.Enum<ToyArchitecture>(a, "--architecture") : null,
                Features = parse.GetValue(features),
                Neurons = parse.GetValue(neurons),
                Probability = parse.GetValue(probability),
                Importance = parse.GetValue(importance) is { } i ? OptionValues.Enum<FeatureImportance>(i, "--importance") : null,
                Steps = parse.GetValue(steps),
                Batch = parse.GetValue(batch),
                Lr = parse.GetValue(lr),
                WeightDecay = parse.GetValue(weightDecay),
                EvalRows = parse.GetValue(evalRows),
                DataSeed = parse.GetValue(dataSeed),
                Seeds = OptionValues.Seeds(parse.GetValue(seeds)!, "--seeds"),
            };
            var settings = common.Read(parse);
            TorchRuntime.Configure(settings.Threads);
            var experiment = new ToyExperiment(toy.ToConfig(), toy.ToSeeds(), settings.Device());
            var result = Run(console, experiment, parse.GetValue(output)!, parse.GetValue(force), settings, cancellationToken);
            Report(console, result, settings.Json);
            return Task.FromResult(ExitCodes.Success);
        });
        return command;
    }

    /// <summary>Runs the experiment with a progress bar on stderr unless --quiet.</summary>
    public static ToyExperimentResult Run(CliConsole console, ToyExperiment experiment, string output, bool force, CommonSettings settings, CancellationToken cancellationToken)
    {
        if (settings.Quiet) return experiment.Run(output, force, cancellationToken: cancellationToken);
        return console.Progress.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(context =>
            {
                var task = context.AddTask("toy training");
                var progress = new ProgressCallback<ToyTrainingProgress>(p =>
                {
                    task.MaxValue = p.Steps;
                    task.Value = p.Step;
                    task.Description = string.Create(CultureInfo.InvariantCulture, $"toy training, loss {p.Losses.Average():0.00000}");
                });
                var result = experiment.Run(output, force, progress, cancellationToken);
                task.Description = "toy training, evaluation and files done";
                return result;
            });
    }

    public static void Report(CliConsole console, ToyExperimentResult result, bool json)
    {
        if (json)
        {
            console.Out.WriteLine(JsonSerializer.Serialize(new
            {
                folder = result.Folder,
                config = result.Config,
                files = result.Files,
                models = result.Models.Select((m, k) => new
                {
                    seed = m.Seed,
                    finalLoss = m.LossCurve[^1],
                    dimensionsPerFeature = result.Geometry[k].DimensionsPerFeature,
                    representedFeatures = result.Geometry[k].RepresentedFeatures,
                }),
            }, ToyModelConfig.Json));
            return;
        }
        var table = new Table().AddColumns("seed", "final loss", "dimensions per feature", "represented features", "mean feature dimensionality");
        for (int k = 0; k < result.Models.Count; k++)
        {
            var g = result.Geometry[k];
            table.AddRow(
                result.Models[k].Seed.ToString(CultureInfo.InvariantCulture),
                result.Models[k].LossCurve[^1].ToString("0.000000", CultureInfo.InvariantCulture),
                g.DimensionsPerFeature.ToString("0.000", CultureInfo.InvariantCulture),
                $"{g.RepresentedFeatures} / {result.Config.Features}",
                g.Dimensionality.Average().ToString("0.000", CultureInfo.InvariantCulture));
        }
        console.Results.Write(table);
        console.Out.WriteLine($"Run folder: {result.Folder}");
    }
}
