using System.Text.Json;
using System.Text.Json.Serialization;
using SaeAlign.Core;
using static SaeAlign.Core.InputField;

namespace SaeAlign.ToyModels;

/// <summary>
/// Everything that fixes a toy-model experiment except the initialisation seeds. Models trained
/// with one config see the same data stream in the same order (fixed by <see cref="DataSeed"/>).
/// </summary>
public sealed record ToyModelConfig
{
    public ToyArchitecture Architecture { get; init; } = ToyArchitecture.HiddenRelu;
    public int Features { get; init; } = 64;
    public int Neurons { get; init; } = 32;
    /// <summary>Probability that a feature is active (then uniform in [0, 1)).</summary>
    public double Probability { get; init; } = 0.1;
    public FeatureImportance Importance { get; init; } = FeatureImportance.Paper;
    public int Steps { get; init; } = 10_000;
    public int Batch { get; init; } = 1024;
    public double LearningRate { get; init; } = 1e-3;
    public double WeightDecay { get; init; } = 0.01;
    /// <summary>Rows of the held-out evaluation stimuli (features and hidden activations are saved).</summary>
    public int EvalRows { get; init; } = 100_000;
    public long DataSeed { get; init; }

    /// <summary>Seed of the training stream, which every model of the experiment sees in the same order.</summary>
    [JsonIgnore]
    public long TrainingStreamSeed => Seeds.Derive(DataSeed, "toy-train");

    /// <summary>Seed of the held-out evaluation stream, disjoint from training by construction.</summary>
    [JsonIgnore]
    public long EvaluationStreamSeed => Seeds.Derive(DataSeed, "toy-eval");

    /// <summary>Throws <see cref="InvalidInputException"/> naming the CLI option of the first invalid value.</summary>
    public void Validate()
    {
        InvalidInputException.Require(Features >= 1, $"{Named("features")} must be at least 1, got {Features}.");
        InvalidInputException.Require(Neurons >= 1, $"{Named("neurons")} must be at least 1, got {Neurons}.");
        InvalidInputException.Require(Probability > 0 && Probability <= 1,
            $"{Named("probability")} must be in (0, 1], got {Probability}.");
        InvalidInputException.Require(Steps >= 1, $"{Named("steps")} must be at least 1, got {Steps}.");
        InvalidInputException.Require(Batch >= 1, $"{Named("batch")} must be at least 1, got {Batch}.");
        InvalidInputException.Require(LearningRate > 0 && double.IsFinite(LearningRate),
            $"{Named("lr")} must be a positive number, got {LearningRate}.");
        InvalidInputException.Require(WeightDecay >= 0 && double.IsFinite(WeightDecay),
            $"{Named("weightDecay")} must be zero or positive, got {WeightDecay}.");
        InvalidInputException.Require(EvalRows >= 1, $"{Named("evalRows")} must be at least 1, got {EvalRows}.");
        InvalidInputException.Require(DataSeed >= 0, $"{Named("dataSeed")} must be zero or positive, got {DataSeed}.");
    }

    /// <summary>The JSON options used for configs and presets: camelCase names, kebab-case enum values.</summary>
    public static JsonSerializerOptions Json { get; } = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower, allowIntegerValues: false) },
    };
}
