using System.Globalization;
using Microsoft.Extensions.Logging;
using SaeAlign.Core;
using SaeAlign.ToyModels;

namespace SaeAlign.Worker;

/// <summary>A <c>train-toy</c> spec: the fields of <c>saealign toy train</c>'s options, in camelCase.</summary>
public sealed record TrainToySpec
{
    public string? Preset { get; init; }
    public ToyArchitecture? Architecture { get; init; }
    public int? Features { get; init; }
    public int? Neurons { get; init; }
    public double? Probability { get; init; }
    public FeatureImportance? Importance { get; init; }
    public int? Steps { get; init; }
    public int? Batch { get; init; }
    public double? Lr { get; init; }
    public double? WeightDecay { get; init; }
    public int? EvalRows { get; init; }
    public long? DataSeed { get; init; }
    public IReadOnlyList<long>? Seeds { get; init; }
    /// <summary>Folder (relative to the data root) that receives the hash-named run folder.</summary>
    public string? Out { get; init; }
}

/// <summary>
/// <c>train-toy</c>: <see cref="ToyExperiment"/> as a job. A preset is expanded into explicit fields
/// when planning, so a preset spec and the equivalent explicit spec share one output folder.
/// </summary>
public sealed class TrainToyJob : JobType<TrainToySpec>
{
    public const string DefaultOut = "runs/train-toy";

    public override string Name => "train-toy";

    protected override TrainToySpec Normalize(TrainToySpec spec, DataRoot root)
    {
        if (spec.Preset is null)
            InvalidInputException.Require(spec.Features is not null && spec.Neurons is not null, "train-toy needs preset or both features and neurons.");
        var basis = spec.Preset is null ? new ToyModelConfig() : ToyPreset.Load(spec.Preset).Config;
        var config = ToConfig(spec, basis);
        config.Validate();
        var seeds = spec.Seeds ?? [0, 1];
        InvalidInputException.Require(seeds.Count > 0 && seeds.All(s => s >= 0), "seeds must list at least one non-negative seed, e.g. [0, 1].");
        ToyModelTrainer.ValidateSeeds(seeds);
        return new TrainToySpec
        {
            Architecture = config.Architecture,
            Features = config.Features,
            Neurons = config.Neurons,
            Probability = config.Probability,
            Importance = config.Importance,
            Steps = config.Steps,
            Batch = config.Batch,
            Lr = config.LearningRate,
            WeightDecay = config.WeightDecay,
            EvalRows = config.EvalRows,
            DataSeed = config.DataSeed,
            Seeds = seeds,
            Out = root.Relative(spec.Out ?? DefaultOut, "out"),
        };
    }

    protected override string OutputParent(TrainToySpec normalized) => normalized.Out!;

    protected override Task RunAsync(TrainToySpec spec, JobRun run, CancellationToken cancellationToken)
    {
        var config = ToConfig(spec, new ToyModelConfig());
        int every = Math.Max(1, config.Steps / 10);
        var progress = new ProgressCallback<ToyTrainingProgress>(p =>
        {
            if (p.Step % every == 0 || p.Step == p.Steps)
                run.Log.LogInformation("step {Step}/{Steps}, loss {Loss}", p.Step, p.Steps,
                    p.Losses.Average().ToString("0.000000", CultureInfo.InvariantCulture));
        });
        var result = new ToyExperiment(config, spec.Seeds!).Run(run.OutputFolder, force: false, progress, cancellationToken);
        foreach (var model in result.Models)
            run.Log.LogInformation("seed {Seed}: final loss {Loss}", model.Seed, model.LossCurve[^1].ToString("0.000000", CultureInfo.InvariantCulture));
        return Task.CompletedTask;
    }

    private static ToyModelConfig ToConfig(TrainToySpec spec, ToyModelConfig basis) => basis with
    {
        Architecture = spec.Architecture ?? basis.Architecture,
        Features = spec.Features ?? basis.Features,
        Neurons = spec.Neurons ?? basis.Neurons,
        Probability = spec.Probability ?? basis.Probability,
        Importance = spec.Importance ?? basis.Importance,
        Steps = spec.Steps ?? basis.Steps,
        Batch = spec.Batch ?? basis.Batch,
        LearningRate = spec.Lr ?? basis.LearningRate,
        WeightDecay = spec.WeightDecay ?? basis.WeightDecay,
        EvalRows = spec.EvalRows ?? basis.EvalRows,
        DataSeed = spec.DataSeed ?? basis.DataSeed,
    };
}
