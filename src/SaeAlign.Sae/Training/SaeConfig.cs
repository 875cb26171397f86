using System.ComponentModel;
using System.Text.Json;
using System.Text.Json.Serialization;
using SaeAlign.Core;
using static SaeAlign.Core.InputField;

namespace SaeAlign.Sae;

/// <summary>
/// Everything that fixes an SAE training run besides the data: the settings every architecture shares, here,
/// and each architecture's own in its record beside its model (<see cref="TopKSaeConfig"/> in <c>TopKSae.cs</c>, ...),
/// whose constructor sets that architecture's defaults. In JSON a config is one flat object named by its
/// <c>architecture</c>, with the same field names as <c>saealign sae train</c>'s options and the <c>train-sae</c> job
/// (<see cref="SaeConfigFields"/>). A checkpoint records its config, and a resume with a different one is refused.
/// </summary>
[JsonConverter(typeof(SaeConfigJsonConverter))]
public abstract record SaeConfig
{
    /// <summary>The architecture whose config type this is.</summary>
    [JsonIgnore]
    public SaeArchitecture Architecture => SaeArchitecture.All.First(a => a.ConfigType == GetType());

    [Description("Latents (default 8 x d_in).")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? DSae { get; init; }

    [Description("Seed of the initialisation and the data order.")]
    public long Seed { get; init; }

    [Description("Rows per step.")]
    public int Batch { get; init; } = 4096;

    /// <summary>Passes over the training rows; <see cref="Steps"/>, when set, takes precedence (JSON holds one of the two).</summary>
    [Description("Passes over the training rows; exclusive with steps.")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? Epochs { get; init; } = 1;

    [Description("Optimizer steps in all, cycling through the rows (reshuffled each pass) as needed; exclusive with epochs.")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? Steps { get; init; }

    [Description("Leading fraction of rows that trains; the rest is held out for the metrics.")]
    public double TrainFraction { get; init; } = 1.0;

    [Description("Shuffle the training rows each epoch (seeded); off: rows in file order.")]
    public bool Shuffle { get; init; } = true;

    [Description("AdamW learning rate.")]
    [JsonPropertyName("lr")]
    public double LearningRate { get; init; } = 2e-4;

    [Description("AdamW weight decay.")]
    public double WeightDecay { get; init; }

    [Description("Linear learning-rate warm-up steps.")]
    public int LrWarmupSteps { get; init; }

    [Description("Linear decay of the learning rate to 0 over the last this many steps.")]
    public int LrDecaySteps { get; init; }

    [Description("Steps without firing after which a latent counts as dead (for AuxK and the dead fraction).")]
    public int DeadWindow { get; init; } = 50;

    [Description("How b_dec starts: zeros, mean or geometric-median.")]
    [JsonPropertyName("bDecInit")]
    public DecoderBiasInit DecoderBiasInit { get; init; } = DecoderBiasInit.GeometricMedian;

    [Description("Scale inputs so that E||x||² = d_in, folded into the weights on save.")]
    public bool NormalizeInput { get; init; } = true;

    [Description("Keep decoder rows at unit norm, removing the gradient component parallel to each row.")]
    public bool UnitNormDecoder { get; init; } = true;

    public int ResolvedDSae(int dIn) => DSae ?? 8 * dIn;

    /// <summary>The optimizer steps of a run over <paramref name="trainRows"/> rows.</summary>
    public int TotalSteps(int trainRows) => Steps ?? (trainRows + Batch - 1) / Batch * (Epochs ?? 1);

    /// <summary>
    /// Throws <see cref="InvalidInputException"/> naming the field of the first invalid value.
    /// <paramref name="dIn"/> null (a queued job whose activations are read later): the upper bounds that
    /// depend on d_sae = 8 x d_in are left for the run.
    /// </summary>
    public virtual void Validate(int? dIn)
    {
        InvalidInputException.Require(dIn is null or >= 1, $"the activations have {dIn} columns; an SAE needs at least one.");
        InvalidInputException.Require(DSae is null or >= 1, $"{Named("dSae")} must be at least 1, got {DSae}.");
        InvalidInputException.Require(Seed >= 0, $"{Named("seed")} must be zero or positive, got {Seed}.");
        InvalidInputException.Require(Batch >= 1, $"{Named("batch")} must be at least 1, got {Batch}.");
        InvalidInputException.Require(Epochs is null or >= 1, $"{Named("epochs")} must be at least 1, got {Epochs}.");
        InvalidInputException.Require(Steps is null or >= 1, $"{Named("steps")} must be at least 1, got {Steps}.");
        InvalidInputException.Require(TrainFraction > 0 && TrainFraction <= 1, $"{Named("trainFraction")} must be in (0, 1], got {TrainFraction}.");
        InvalidInputException.Require(LearningRate > 0 && double.IsFinite(LearningRate), $"{Named("lr")} must be a positive number, got {LearningRate}.");
        InvalidInputException.Require(WeightDecay >= 0 && double.IsFinite(WeightDecay), $"{Named("weightDecay")} must be zero or positive, got {WeightDecay}.");
        InvalidInputException.Require(LrWarmupSteps >= 0, $"{Named("lrWarmupSteps")} must be zero or positive, got {LrWarmupSteps}.");
        InvalidInputException.Require(LrDecaySteps >= 0, $"{Named("lrDecaySteps")} must be zero or positive, got {LrDecaySteps}.");
        InvalidInputException.Require(DeadWindow >= 1, $"{Named("deadWindow")} must be at least 1, got {DeadWindow}.");
    }

    /// <summary>The checks every k-sparse architecture shares: k within d_sae and a usable auxiliary-loss coefficient.</summary>
    protected void ValidateKSparse(int k, double auxCoefficient, int? dIn)
    {
        int dSae = DSaeBound(dIn);
        InvalidInputException.Require(k >= 1 && k <= dSae, $"{Named("k")} must be {UpTo(dSae)}, got {k}.");
        InvalidInputException.Require(auxCoefficient >= 0 && double.IsFinite(auxCoefficient), $"{Named("auxCoefficient")} must be zero or positive, got {auxCoefficient}.");
    }

    /// <summary>The largest d_sae a bound may assume: the config's, 8 x d_in, or unbounded while d_in is unknown.</summary>
    protected int DSaeBound(int? dIn) => DSae ?? (dIn is { } d ? ResolvedDSae(d) : int.MaxValue);

    /// <summary>"between 1 and d_sae = N", or "at least 1" while d_sae is unknown.</summary>
    protected static string UpTo(int dSae) => dSae == int.MaxValue ? "at least 1" : $"between 1 and d_sae = {dSae}";

    /// <summary>camelCase names and kebab-case enum values, as in the toy configs.</summary>
    public static JsonSerializerOptions Json { get; } = Frozen(new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower, allowIntegerValues: false) },
    });

    /// <summary><see cref="Json"/> on one line, for file metadata.</summary>
    public static JsonSerializerOptions CompactJson { get; } = Frozen(new(Json) { WriteIndented = false });

    // Read-only with the default resolver, so that SaeConfigFields can ask for a config type's properties before any serialization.
    private static JsonSerializerOptions Frozen(JsonSerializerOptions options)
    {
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}

/// <summary>An architecture whose codes keep k active latents per row (or per row on average).</summary>
public interface IKSparseConfig
{
    int K { get; }

    /// <summary>A copy with k = <paramref name="k"/>, of the same architecture.</summary>
    SaeConfig WithK(int k);
}
