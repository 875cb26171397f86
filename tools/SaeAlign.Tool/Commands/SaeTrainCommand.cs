using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using SaeAlign.Core;
using SaeAlign.Data;
using SaeAlign.Sae;
using SaeAlign.Torch;
using Spectre.Console;

namespace SaeAlign.Tool.Commands;

/// <summary>`saealign sae train`: train an SAE on an activation file and write a run folder.</summary>
internal static class SaeTrainCommand
{
    public static Command Create(CliConsole console)
    {
        var activations = new Option<string>("--activations") { Description = "Activation file (.parquet or .npy), rows = stimuli.", Required = true };
        var training = new SaeConfigOptions();
        var engine = new Option<string>("--engine") { Description = "torch (libtorch: every architecture, --device cpu or cuda) or ilgpu (SaeAlign's kernels: topk and paper-toy; --device cpu runs them on ILGPU's CPU accelerator, cuda:N on a GPU through the NVIDIA driver alone).", DefaultValueFactory = _ => "torch" };
        var decode = new Option<string>("--decode") { Description = "topk decoding in training: sparse (embedding_bag, B·k·d_in) or dense.", DefaultValueFactory = _ => "sparse" };
        var trueFeatures = new Option<string?>("--true-features") { Description = "Toy model weights (weights_seedS.parquet): report ground-truth recovery on the held-out rows (MCC, mean max cosine, uniqueness, explained variance, shrinkage)." };
        var trueActivations = new Option<string?>("--true-activations") { Description = "The toy's feature activations on the same rows (eval_features.parquet), with --true-features: each latent's precision, recall and F1 as a detector of its feature." };
        var checkpointEvery = new Option<int>("--checkpoint-every") { Description = "Steps between checkpoints (DIR.checkpoint.safetensors; 0: none); Ctrl-C then also writes one.", DefaultValueFactory = _ => 0 };
        var resume = new Option<bool>("--resume") { Description = "Continue from DIR.checkpoint.safetensors; the options must be the same." };
        var output = new Option<string>("--out") { Description = "Run folder to write.", Required = true };
        var force = new Option<bool>("--force") { Description = "Replace an existing output folder." };
        var common = new CommonOptions();

        var command = new Command("train", "Train a sparse autoencoder on an activation file and write a run folder (Parquet dictionary + SAELens folder).")
        {
            activations,
        };
        training.AddTo(command);
        foreach (var option in new Option[] { engine, decode, trueFeatures, trueActivations, checkpointEvery, resume, output, force }) command.Add(option);
        common.AddTo(command);
        command.SetAction((parse, cancellationToken) =>
        {
            var config = training.Read(parse);
            int every = parse.GetValue(checkpointEvery);
            InvalidInputException.Require(every >= 0, $"--checkpoint-every must be zero or positive, got {every}.");
            var options = new SaeTrainerOptions
            {
                CheckpointEvery = every,
                Resume = parse.GetValue(resume),
                Decoding = OptionValues.Enum<TopKDecoding>(parse.GetValue(decode)!, "--decode"),
                Engine = OptionValues.Enum<SaeEngine>(parse.GetValue(engine)!, "--engine"),
            };
            options.RequireSupports(config);
            var truth = parse.GetValue(trueFeatures) is { } path ? ModelWeightsParquet.Read(path) : null;
            InvalidInputException.Require(truth is not null || parse.GetValue(trueActivations) is null, $"--true-activations needs --true-features: the latents are matched to features by direction.");
            var truthRows = parse.GetValue(trueActivations) is { } rowsPath ? ActivationFile.Read(rowsPath, cancellationToken) : null;
            var settings = common.Read(parse);
            TorchRuntime.Configure(settings.Threads);
            var runner = new SaeTrainingRun(config, options with { Device = SaeTrainerOptions.ResolveDevice(options.Engine, settings.DeviceSpec, InputField.Named("device")) });
            string activationsPath = parse.GetValue(activations)!, outputPath = parse.GetValue(output)!;
            bool replace = parse.GetValue(force);
            SaeRunResult result;
            try
            {
                result = settings.Quiet
                    ? runner.Run(activationsPath, outputPath, replace, truth, truthRows, cancellationToken: cancellationToken)
                    : WithProgress(console, p => runner.Run(activationsPath, outputPath, replace, truth, truthRows, p, cancellationToken));
            }
            catch (OperationCanceledException) when (File.Exists(SaeTrainingRun.CheckpointPathFor(outputPath)))
            {
                // The staging folder is gone but the checkpoint the user asked for stays; say how to use it.
                console.Error.WriteLine($"checkpoint kept: {SaeTrainingRun.CheckpointPathFor(outputPath)}; run the same command with --resume to continue.");
                throw;
            }
            Report(console, result, settings.Json);
            return Task.FromResult(ExitCodes.Success);
        });
        return command;
    }

    private static SaeRunResult WithProgress(CliConsole console, Func<IProgress<SaeTrainingProgress>, SaeRunResult> run) =>
        console.Progress.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(context =>
            {
                var task = context.AddTask("sae training");
                var result = run(new ProgressCallback<SaeTrainingProgress>(p =>
                {
                    task.MaxValue = p.Steps;
                    task.Value = p.Step;
                    task.Description = string.Create(CultureInfo.InvariantCulture, $"sae training, step {p.Step}/{p.Steps}, loss {p.Loss:0.0000}, L0 {p.L0:0.0}, dead {p.DeadFraction:P0}");
                }));
                task.Description = "sae training and files done";
                return result;
            });

    private static void Report(CliConsole console, SaeRunResult result, bool json)
    {
        var evaluation = result.Training.Evaluation;
        if (json)
        {
            console.Out.WriteLine(JsonSerializer.Serialize(new
            {
                folder = result.Folder,
                config = result.Config,
                files = result.Files,
                steps = result.Training.Steps,
                resumedFromStep = result.Training.ResumedFromStep,
                evaluation = new { rows = evaluation.Rows, mse = evaluation.Mse, fvu = evaluation.Fvu, l0 = evaluation.L0, deadFraction = evaluation.DeadFraction },
                meanMaxCosine = result.Recovery?.MeanMaxCosine,
                featuresRecovered = result.Recovery?.Recovered,
                groundTruth = result.Recovery,
            }, SaeConfig.Json));
            return;
        }
        var table = new Table().AddColumns("architecture", "d_in x d_sae", "steps", "MSE", "FVU", "L0", "dead");
        table.AddRow(result.Config.Architecture.Name, $"{result.Training.Dictionary.DIn} x {result.Training.Dictionary.DSae}",
            result.Training.Steps.ToString(CultureInfo.InvariantCulture),
            evaluation.Mse.ToString("0.000000", CultureInfo.InvariantCulture), evaluation.Fvu.ToString("0.0000", CultureInfo.InvariantCulture),
            evaluation.L0.ToString("0.00", CultureInfo.InvariantCulture), evaluation.DeadFraction.ToString("P1", CultureInfo.InvariantCulture));
        console.Results.Write(table);
        if (result.Recovery is { } recovery)
        {
            console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"True features: mean max cosine {recovery.MeanMaxCosine:0.000}, recovered above 0.9: {recovery.Recovered}, MCC {recovery.Mcc:0.000}, uniqueness {recovery.Uniqueness:0.000}, explained variance {recovery.ExplainedVariance:0.000}, shrinkage {recovery.Shrinkage:0.000}"));
            if (recovery.Detection is { } d)
                console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"Latents as feature detectors: precision {d.Precision:0.000}, recall {d.Recall:0.000}, F1 {d.F1:0.000}, accuracy {d.Accuracy:0.000} (true L0 {d.TrueL0:0.00})"));
        }
        console.Out.WriteLine($"Run folder: {result.Folder}");
    }
}
