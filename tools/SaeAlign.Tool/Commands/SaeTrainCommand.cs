using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using SaeAlign.Core;
using SaeAlign.Data;
using SaeAlign.Kernels;
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
        var arch = new Option<string>("--arch") { Description = $"Architecture: {string.Join(", ", SaeArchitecture.Names)}.", DefaultValueFactory = _ => SaeArchitecture.TopK.Name };
        var dSae = new Option<int?>("--d-sae") { Description = "Latents (default 8 x d_in; paper-toy 64)." };
        var k = new Option<int?>("--k") { Description = "Active latents per row (topk, batchtopk, paper-toy; default 32, paper-toy 7)." };
        var seed = new Option<long?>("--seed") { Description = "Seed of the initialisation and the data order (default 0)." };
        var batch = new Option<int?>("--batch") { Description = "Rows per step (default 4096; paper-toy 1024)." };
        var epochs = new Option<int?>("--epochs") { Description = "Passes over the training rows (default 1); exclusive with --steps." };
        var steps = new Option<int?>("--steps") { Description = "Optimizer steps in all, cycling through the rows (reshuffled each pass) as needed; exclusive with --epochs." };
        var trainFraction = new Option<double?>("--train-fraction") { Description = "Leading fraction of rows that trains; the rest is held out for the metrics (default 1; paper-toy 0.8)." };
        var shuffle = new Option<bool?>("--shuffle") { Description = "Shuffle rows each epoch (default true; paper-toy false)." };
        var lr = new Option<double?>("--lr") { Description = "AdamW learning rate (default 2e-4; paper-toy 1e-3)." };
        var weightDecay = new Option<double?>("--weight-decay") { Description = "AdamW weight decay (default 0; paper-toy 0.01)." };
        var warmup = new Option<int?>("--lr-warmup-steps") { Description = "Linear learning-rate warm-up steps (default 0)." };
        var decay = new Option<int?>("--lr-decay-steps") { Description = "Linear decay to 0 over the last N steps (default 0)." };
        var l1 = new Option<double?>("--l1-coefficient") { Description = "relu-l1: λ of the decoder-norm-weighted L1 (default 1)." };
        var l1Warmup = new Option<int?>("--l1-warmup-steps") { Description = "relu-l1: steps over which λ ramps up from 0 (default 0)." };
        var l0 = new Option<double?>("--l0-coefficient") { Description = "jumprelu: L0 penalty (default 1)." };
        var bandwidth = new Option<double?>("--bandwidth") { Description = "jumprelu: rectangle-kernel width of the threshold gradient (default 0.05)." };
        var initThreshold = new Option<double?>("--init-threshold") { Description = "jumprelu: initial threshold (default 0.01)." };
        var auxK = new Option<int?>("--aux-k") { Description = "topk/batchtopk: dead latents in AuxK (default d_in / 2)." };
        var auxCoefficient = new Option<double?>("--aux-coefficient") { Description = "AuxK coefficient (default 1/32; paper-toy's dead-latent term 0.1)." };
        var deadWindow = new Option<int?>("--dead-window") { Description = "Steps without firing after which a latent counts as dead (default 50)." };
        var bDecInit = new Option<string?>("--b-dec-init") { Description = "zeros, mean or geometric-median (default geometric-median; paper-toy zeros)." };
        var normalize = new Option<bool?>("--normalize-input") { Description = "Scale inputs so that E||x||² = d_in, folded into the weights on save (default true; paper-toy false)." };
        var unitNorm = new Option<bool?>("--unit-norm-decoder") { Description = "Keep decoder rows at unit norm (default true for topk/batchtopk)." };
        var decode = new Option<string>("--decode") { Description = "topk decoding in training: sparse (embedding_bag, B·k·d_in) or dense.", DefaultValueFactory = _ => "sparse" };
        var trueFeatures = new Option<string?>("--true-features") { Description = "Toy model weights (weights_seedS.parquet): report mean max cosine and features recovered above 0.9." };
        var checkpointEvery = new Option<int>("--checkpoint-every") { Description = "Steps between checkpoints (DIR.checkpoint.safetensors; 0: none); Ctrl-C then also writes one.", DefaultValueFactory = _ => 0 };
        var resume = new Option<bool>("--resume") { Description = "Continue from DIR.checkpoint.safetensors; the options must be the same." };
        var output = new Option<string>("--out") { Description = "Run folder to write.", Required = true };
        var force = new Option<bool>("--force") { Description = "Replace an existing output folder." };
        var common = new CommonOptions();

        var command = new Command("train", "Train a sparse autoencoder on an activation file and write a run folder (Parquet dictionary + SAELens folder).")
        {
            activations, arch, dSae, k, seed, batch, epochs, steps, trainFraction, shuffle, lr, weightDecay, warmup, decay, l1, l1Warmup, l0,
            bandwidth, initThreshold, auxK, auxCoefficient, deadWindow, bDecInit, normalize, unitNorm, decode, trueFeatures,
            checkpointEvery, resume, output, force,
        };
        common.AddTo(command);
        command.SetAction((parse, cancellationToken) =>
        {
            var config = new SaeTrainSettings
            {
                Arch = SaeArchitecture.Get(parse.GetValue(arch)!, InputField.Named("arch")),
                DSae = parse.GetValue(dSae),
                K = parse.GetValue(k),
                Seed = parse.GetValue(seed),
                Batch = parse.GetValue(batch),
                Epochs = parse.GetValue(epochs),
                Steps = parse.GetValue(steps),
                TrainFraction = parse.GetValue(trainFraction),
                Shuffle = parse.GetValue(shuffle),
                Lr = parse.GetValue(lr),
                WeightDecay = parse.GetValue(weightDecay),
                LrWarmupSteps = parse.GetValue(warmup),
                LrDecaySteps = parse.GetValue(decay),
                L1Coefficient = parse.GetValue(l1),
                L1WarmupSteps = parse.GetValue(l1Warmup),
                L0Coefficient = parse.GetValue(l0),
                Bandwidth = parse.GetValue(bandwidth),
                InitThreshold = parse.GetValue(initThreshold),
                AuxK = parse.GetValue(auxK),
                AuxCoefficient = parse.GetValue(auxCoefficient),
                DeadWindow = parse.GetValue(deadWindow),
                BDecInit = parse.GetValue(bDecInit) is { } b ? OptionValues.Enum<DecoderBiasInit>(b, "--b-dec-init") : null,
                NormalizeInput = parse.GetValue(normalize),
                UnitNormDecoder = parse.GetValue(unitNorm),
            }.ToConfig();
            int every = parse.GetValue(checkpointEvery);
            InvalidInputException.Require(every >= 0, $"--checkpoint-every must be zero or positive, got {every}.");
            var options = new SaeTrainingOptions
            {
                CheckpointEvery = every,
                Resume = parse.GetValue(resume),
                SparseDecoder = OptionValues.Enum<TopKDecoding>(parse.GetValue(decode)!, "--decode") == TopKDecoding.Sparse
                    ? decoder => OwnedSparseDecoder.Of(new EmbeddingBagDecoder(decoder), bag => bag.Decode)
                    : null,
            };
            var truth = parse.GetValue(trueFeatures) is { } path ? ModelWeightsParquet.Read(path) : null;
            var settings = common.Read(parse);
            TorchRuntime.Configure(settings.Threads);
            var runner = new SaeTrainingRun(config, options);
            string activationsPath = parse.GetValue(activations)!, outputPath = parse.GetValue(output)!;
            bool replace = parse.GetValue(force);
            SaeRunResult result;
            try
            {
                result = settings.Quiet
                    ? runner.Run(activationsPath, outputPath, replace, truth, cancellationToken: cancellationToken)
                    : WithProgress(console, p => runner.Run(activationsPath, outputPath, replace, truth, p, cancellationToken));
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
            console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"True features: mean max cosine {recovery.MeanMaxCosine:0.000}, recovered above 0.9: {recovery.Recovered}"));
        console.Out.WriteLine($"Run folder: {result.Folder}");
    }
}
