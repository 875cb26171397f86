using SaeAlign.Core;
using static SaeAlign.Core.InputField;

namespace SaeAlign.ToyModels;

/// <summary>
/// The choices of <c>saealign toy train</c>, one property per option (<c>--lr</c> is <see cref="Lr"/>); null means the
/// preset's value, or the default without a preset. The CLI and the worker's <c>train-toy</c> job both turn them into
/// a <see cref="ToyModelConfig"/> and seeds here, so an option means the same in both.
/// </summary>
public record ToyTrainSettings
{
    public static readonly IReadOnlyList<long> DefaultSeeds = [0, 1];

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
    /// <summary>Initialisation seeds, one model each.</summary>
    public IReadOnlyList<long>? Seeds { get; init; }

    /// <summary>The preset's config (or the defaults) with every set option on top, validated.</summary>
    public ToyModelConfig ToConfig()
    {
        if (Preset is null)
            InvalidInputException.Require(Features is not null && Neurons is not null,
                $"toy training needs {Named("preset")} or both {Named("features")} and {Named("neurons")}.");
        var basis = Preset is null ? new ToyModelConfig() : ToyPreset.Load(Preset).Config;
        var config = basis with
        {
            Architecture = Architecture ?? basis.Architecture,
            Features = Features ?? basis.Features,
            Neurons = Neurons ?? basis.Neurons,
            Probability = Probability ?? basis.Probability,
            Importance = Importance ?? basis.Importance,
            Steps = Steps ?? basis.Steps,
            Batch = Batch ?? basis.Batch,
            LearningRate = Lr ?? basis.LearningRate,
            WeightDecay = WeightDecay ?? basis.WeightDecay,
            EvalRows = EvalRows ?? basis.EvalRows,
            DataSeed = DataSeed ?? basis.DataSeed,
        };
        config.Validate();
        return config;
    }

    /// <summary>The seeds to train, validated (default 0 and 1).</summary>
    public IReadOnlyList<long> ToSeeds()
    {
        var seeds = Seeds ?? DefaultSeeds;
        ToyModelTrainer.ValidateSeeds(seeds);
        return seeds;
    }

    /// <summary>
    /// The same experiment with the preset expanded into explicit values, so that a preset and the equivalent explicit
    /// settings are equal records (the worker hashes them into one output folder).
    /// </summary>
    public ToyTrainSettings Explicit()
    {
        var config = ToConfig();
        return this with
        {
            Preset = null,
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
            Seeds = ToSeeds(),
        };
    }
}
