using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;
using SaeAlign.Core;
using SaeAlign.Data;
using SaeAlign.Sae;

namespace SaeAlign.Worker;

/// <summary>
/// A <c>train-sae</c> spec: the fields of <c>saealign sae train</c>'s options in camelCase: the SAE's settings
/// (<see cref="SaeConfigFields"/>: <c>arch</c>, <c>dSae</c>, <c>k</c>, <c>lr</c>, ...), the files, the decoding and the checkpoint interval.
/// </summary>
public sealed record TrainSaeSpec
{
    /// <summary>Activation file (.parquet or .npy) inside the data root.</summary>
    public string? Activations { get; init; }
    public TopKDecoding? Decode { get; init; }
    /// <summary>torch or ilgpu (topk, paper-toy); absent means torch, so specs written before engines existed keep their hash.</summary>
    public SaeEngine? Engine { get; init; }
    /// <summary>Toy model weights (weights_seedS.parquet) for the feature-recovery metrics, or null.</summary>
    public string? TrueFeatures { get; init; }
    /// <summary>The toy's feature activations on the same rows (eval_features.parquet), for the detection scores, or null.</summary>
    public string? TrueActivations { get; init; }
    /// <summary>Steps between checkpoints; 0 turns them off (then a killed job starts over).</summary>
    public int? CheckpointEvery { get; init; }
    /// <summary>Folder (relative to the data root) that receives the hash-named run folder.</summary>
    public string? Out { get; init; }
    /// <summary>Every other field: the SAE's settings, read by <see cref="SaeConfigFields.Read"/>, which rejects unknown ones.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Sae { get; init; }

    /// <param name="stored">The spec was normalized before (by this or an earlier version) and queued, rather than given by a user now.</param>
    public SaeConfig ToConfig(bool stored = false) =>
        SaeConfigFields.Read(new JsonObject((Sae ?? []).Select(f => KeyValuePair.Create(f.Key, JsonNode.Parse(f.Value.GetRawText())))), earlier: stored);
}

/// <summary>
/// <c>train-sae</c>: <see cref="SaeTrainingRun"/> as a job. It checkpoints next to its output folder
/// (<c>HASH.checkpoint.safetensors</c>) every <c>checkpointEvery</c> steps and when the worker stops it, so
/// a retried job, or one picked up again after its worker died, continues from the latest checkpoint and
/// ends with the same dictionary as an uninterrupted run.
/// </summary>
public sealed class TrainSaeJob : JobType<TrainSaeSpec>
{
    public const string DefaultOut = "runs/train-sae";
    public const int DefaultCheckpointEvery = 500;

    public override string Name => "train-sae";

    protected override TrainSaeSpec Normalize(TrainSaeSpec spec, DataRoot root)
    {
        var config = spec.ToConfig();
        // d_in is known once the job reads the activations; bounds that depend on it are checked then.
        config.Validate(dIn: null);
        new SaeTrainerOptions { Engine = spec.Engine ?? SaeEngine.Torch }.RequireSupports(config);
        int every = spec.CheckpointEvery ?? DefaultCheckpointEvery;
        InvalidInputException.Require(every >= 0, $"checkpointEvery must be zero or positive, got {every}.");
        InvalidInputException.Require(spec.TrueActivations is null || spec.TrueFeatures is not null,
            $"{InputField.Named("trueActivations")} needs {InputField.Named("trueFeatures")}: the latents are matched to features by direction.");
        return spec with
        {
            Sae = SaeConfigFields.Write(config).ToDictionary(f => f.Key, f => f.Value.Deserialize<JsonElement>()),
            Activations = root.ExistingFile(spec.Activations, "activations", ".parquet", ".npy"),
            Decode = spec.Decode ?? TopKDecoding.Sparse,
            Engine = spec.Engine is SaeEngine.Torch ? null : spec.Engine,
            TrueFeatures = spec.TrueFeatures is null ? null : root.ExistingFile(spec.TrueFeatures, "trueFeatures", ".parquet"),
            TrueActivations = spec.TrueActivations is null ? null : root.ExistingFile(spec.TrueActivations, "trueActivations", ".parquet", ".npy"),
            CheckpointEvery = every,
            Out = root.Relative(spec.Out ?? DefaultOut, "out"),
        };
    }

    protected override string OutputParent(TrainSaeSpec normalized) => normalized.Out!;

    protected override Task RunAsync(TrainSaeSpec spec, JobRun run, CancellationToken cancellationToken)
    {
        string checkpoint = SaeTrainingRun.CheckpointPathFor(run.OutputFolder);
        bool resume = spec.CheckpointEvery > 0 && File.Exists(checkpoint);
        if (resume) run.Log.LogInformation("Found the checkpoint {Checkpoint} of an earlier attempt; resuming from it.", checkpoint);
        var options = new SaeTrainerOptions
        {
            CheckpointEvery = spec.CheckpointEvery!.Value,
            Resume = resume,
            Decoding = spec.Decode!.Value,
            Engine = spec.Engine ?? SaeEngine.Torch,
        };
        options = options with { Device = SaeTrainerOptions.ResolveDevice(options.Engine, run.DeviceSpec, InputField.Named(JobDevice.Field)) };
        var truth = spec.TrueFeatures is null ? null : ModelWeightsParquet.Read(run.Root.Resolve(spec.TrueFeatures, "trueFeatures"));
        var truthRows = spec.TrueActivations is null ? null : ActivationFile.Read(run.Root.Resolve(spec.TrueActivations, "trueActivations"), cancellationToken);
        // The trainer reports every steps/200 steps; the log gets the first report past each tenth.
        int logged = -1;
        var progress = new ProgressCallback<SaeTrainingProgress>(p =>
        {
            int tenth = (int)(10L * p.Step / p.Steps);
            if (tenth <= logged) return;
            logged = tenth;
            run.Log.LogInformation("step {Step}/{Steps}, loss {Loss}, L0 {L0}", p.Step, p.Steps,
                    p.Loss.ToString("0.000000", CultureInfo.InvariantCulture), p.L0.ToString("0.00", CultureInfo.InvariantCulture));
        });
        try
        {
            var result = new SaeTrainingRun(spec.ToConfig(stored: true), options)
                .Run(run.Root.Resolve(spec.Activations!, "activations"), run.OutputFolder, force: false, truth, truthRows, progress, cancellationToken);
            var evaluation = result.Training.Evaluation;
            if (result.Training.ResumedFromStep > 0)
                run.Log.LogInformation("Resumed from the checkpoint at step {Step}.", result.Training.ResumedFromStep);
            run.Log.LogInformation("{Steps} steps; MSE {Mse}, FVU {Fvu}, L0 {L0}, dead {Dead}", result.Training.Steps,
                evaluation.Mse.ToString("0.000000", CultureInfo.InvariantCulture), evaluation.Fvu.ToString("0.0000", CultureInfo.InvariantCulture),
                evaluation.L0.ToString("0.00", CultureInfo.InvariantCulture), evaluation.DeadFraction.ToString("P1", CultureInfo.InvariantCulture));
        }
        catch (OperationCanceledException) when (File.Exists(checkpoint))
        {
            run.Log.LogInformation("Stopped; the checkpoint {Checkpoint} keeps the progress for the next attempt.", checkpoint);
            throw;
        }
        return Task.CompletedTask;
    }
}
