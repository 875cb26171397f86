using System.Text.Json;
using System.Text.Json.Serialization;
using SaeAlign.Core;
using static SaeAlign.Core.InputField;

namespace SaeAlign.Sae;

/// <summary>
/// Everything that fixes an SAE training run besides the data. <see cref="For"/> gives each
/// architecture's defaults (its <see cref="SaeArchitecture.Defaults"/>). Every architecture's settings are
/// fields here, so configs, checkpoints and run folders keep one JSON shape; each architecture reads its own.
/// A checkpoint records its config, and a resume with a different one is refused.
/// </summary>
public sealed record SaeConfig
{
    public SaeArchitecture Architecture { get; init; } = SaeArchitecture.TopK;
    /// <summary>Latents; 0 means 8 x d_in.</summary>
    public int DSae { get; init; }
    /// <summary>Active latents per row (topk, paper-toy) or per row on average (batchtopk).</summary>
    public int K { get; init; } = 32;
    public long Seed { get; init; }
    public int Batch { get; init; } = 4096;
    /// <summary>Passes over the training rows.</summary>
    public int Epochs { get; init; } = 1;
    /// <summary>Optimizer steps in all (the rows cycle through epochs as needed); 0 means <see cref="Epochs"/> passes.</summary>
    public int Steps { get; init; }
    /// <summary>The first fraction of rows trains; the rest is held out for the metrics.</summary>
    public double TrainFraction { get; init; } = 1.0;
    /// <summary>Shuffle the training rows each epoch (seeded); off = rows in file order.</summary>
    public bool Shuffle { get; init; } = true;
    public double LearningRate { get; init; } = 2e-4;
    public double WeightDecay { get; init; }
    public int LrWarmupSteps { get; init; }
    /// <summary>The learning rate falls linearly to 0 over the last this many steps.</summary>
    public int LrDecaySteps { get; init; }
    public double L1Coefficient { get; init; } = 1.0;
    public int L1WarmupSteps { get; init; }
    public double L0Coefficient { get; init; } = 1.0;
    public double JumpReluBandwidth { get; init; } = 0.05;
    public double JumpReluInitThreshold { get; init; } = 0.01;
    public double AuxKCoefficient { get; init; } = 1.0 / 32;
    /// <summary>Dead latents that reconstruct the residual; 0 means d_in / 2.</summary>
    public int AuxK { get; init; }
    /// <summary>A latent that has not fired for this many steps is dead (for AuxK and the dead fraction).</summary>
    public int DeadWindow { get; init; } = 50;
    /// <summary>batchtopk: EMA rate of the inference threshold (the smallest kept activation per batch).</summary>
    public double ThresholdEmaRate { get; init; } = 0.01;
    public DecoderBiasInit DecoderBiasInit { get; init; } = DecoderBiasInit.GeometricMedian;
    /// <summary>Scale inputs so that E||x||² = d_in; folded back into the weights on save.</summary>
    public bool NormalizeInput { get; init; } = true;
    /// <summary>Keep decoder rows at unit norm, removing the gradient component parallel to each row.</summary>
    public bool UnitNormDecoder { get; init; } = true;

    /// <summary>The defaults of <paramref name="architecture"/>, which its descriptor gives.</summary>
    public static SaeConfig For(SaeArchitecture architecture) => architecture.Defaults;

    public int ResolvedDSae(int dIn) => DSae == 0 ? 8 * dIn : DSae;
    /// <summary>The optimizer steps of a run over <paramref name="trainRows"/> rows.</summary>
    public int TotalSteps(int trainRows) => Steps > 0 ? Steps : (trainRows + Batch - 1) / Batch * Epochs;

    public int ResolvedAuxK(int dIn) => AuxK == 0 ? Math.Max(1, dIn / 2) : AuxK;

    /// <summary>
    /// Throws <see cref="InvalidInputException"/> naming the CLI option of the first invalid value.
    /// <paramref name="dIn"/> null (a queued job whose activations are read later): the upper bounds that
    /// depend on d_sae = 8 x d_in are left for the run.
    /// </summary>
    public void Validate(int? dIn)
    {
        InvalidInputException.Require(dIn is null or >= 1, $"the activations have {dIn} columns; an SAE needs at least one.");
        InvalidInputException.Require(DSae >= 0, $"{Named("dSae")} must be at least 1, got {DSae}.");
        int dSae = DSae > 0 ? DSae : dIn is { } d ? ResolvedDSae(d) : int.MaxValue;
        string upTo = dSae == int.MaxValue ? "at least 1" : $"between 1 and d_sae = {dSae}";
        if (Architecture.UsesK) InvalidInputException.Require(K >= 1 && K <= dSae, $"{Named("k")} must be {upTo}, got {K}.");
        InvalidInputException.Require(Batch >= 1, $"{Named("batch")} must be at least 1, got {Batch}.");
        InvalidInputException.Require(Epochs >= 1, $"{Named("epochs")} must be at least 1, got {Epochs}.");
        InvalidInputException.Require(Steps >= 0, $"{Named("steps")} must be at least 1, got {Steps}.");
        InvalidInputException.Require(TrainFraction > 0 && TrainFraction <= 1, $"{Named("trainFraction")} must be in (0, 1], got {TrainFraction}.");
        InvalidInputException.Require(LearningRate > 0 && double.IsFinite(LearningRate), $"{Named("lr")} must be a positive number, got {LearningRate}.");
        InvalidInputException.Require(WeightDecay >= 0 && double.IsFinite(WeightDecay), $"{Named("weightDecay")} must be zero or positive, got {WeightDecay}.");
        InvalidInputException.Require(LrWarmupSteps >= 0, $"{Named("lrWarmupSteps")} must be zero or positive, got {LrWarmupSteps}.");
        InvalidInputException.Require(LrDecaySteps >= 0, $"{Named("lrDecaySteps")} must be zero or positive, got {LrDecaySteps}.");
        InvalidInputException.Require(L1Coefficient >= 0 && double.IsFinite(L1Coefficient), $"{Named("l1Coefficient")} must be zero or positive, got {L1Coefficient}.");
        InvalidInputException.Require(L1WarmupSteps >= 0, $"{Named("l1WarmupSteps")} must be zero or positive, got {L1WarmupSteps}.");
        InvalidInputException.Require(L0Coefficient >= 0 && double.IsFinite(L0Coefficient), $"{Named("l0Coefficient")} must be zero or positive, got {L0Coefficient}.");
        InvalidInputException.Require(JumpReluBandwidth > 0 && double.IsFinite(JumpReluBandwidth), $"{Named("bandwidth")} must be positive, got {JumpReluBandwidth}.");
        InvalidInputException.Require(JumpReluInitThreshold > 0 && double.IsFinite(JumpReluInitThreshold), $"{Named("initThreshold")} must be positive, got {JumpReluInitThreshold}.");
        InvalidInputException.Require(AuxKCoefficient >= 0 && double.IsFinite(AuxKCoefficient), $"{Named("auxCoefficient")} must be zero or positive, got {AuxKCoefficient}.");
        InvalidInputException.Require(AuxK >= 0 && AuxK <= dSae, $"{Named("auxK")} must be {upTo} (0: d_in / 2), got {AuxK}.");
        InvalidInputException.Require(DeadWindow >= 1, $"{Named("deadWindow")} must be at least 1, got {DeadWindow}.");
        InvalidInputException.Require(ThresholdEmaRate > 0 && ThresholdEmaRate <= 1, $"{Named("thresholdEma")} must be in (0, 1], got {ThresholdEmaRate}.");
    }

    /// <summary>camelCase names and kebab-case enum values, as in the toy configs.</summary>
    public static JsonSerializerOptions Json { get; } = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower, allowIntegerValues: false) },
    };

    /// <summary><see cref="Json"/> on one line, for file metadata.</summary>
    public static JsonSerializerOptions CompactJson { get; } = new(Json) { WriteIndented = false };
}
