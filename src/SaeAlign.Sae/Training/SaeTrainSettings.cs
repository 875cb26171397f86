using SaeAlign.Core;
using static SaeAlign.Core.InputField;

namespace SaeAlign.Sae;

/// <summary>How a top-k SAE decodes in training: the k active latents only (embedding bag) or the dense product.</summary>
public enum TopKDecoding
{
    Sparse,
    Dense,
}

/// <summary>
/// The training choices of <c>saealign sae train</c>, one property per option (<c>--d-sae</c> is
/// <see cref="DSae"/>, <c>--lr</c> is <see cref="Lr"/>); null means the architecture's default. The CLI
/// and the worker's <c>train-sae</c> job both turn them into a <see cref="SaeConfig"/> here, so an option
/// means the same in both.
/// </summary>
public record SaeTrainSettings
{
    public SaeArchitecture? Arch { get; init; }
    public int? DSae { get; init; }
    public int? K { get; init; }
    public long? Seed { get; init; }
    public int? Batch { get; init; }
    public int? Epochs { get; init; }
    /// <summary>Optimizer steps in all, as SAELens and sparsify users count training; exclusive with <see cref="Epochs"/>.</summary>
    public int? Steps { get; init; }
    public double? TrainFraction { get; init; }
    public bool? Shuffle { get; init; }
    public double? Lr { get; init; }
    public double? WeightDecay { get; init; }
    public int? LrWarmupSteps { get; init; }
    public int? LrDecaySteps { get; init; }
    public double? L1Coefficient { get; init; }
    public int? L1WarmupSteps { get; init; }
    public double? L0Coefficient { get; init; }
    public double? Bandwidth { get; init; }
    public double? InitThreshold { get; init; }
    public int? AuxK { get; init; }
    public double? AuxCoefficient { get; init; }
    public int? DeadWindow { get; init; }
    public DecoderBiasInit? BDecInit { get; init; }
    public bool? NormalizeInput { get; init; }
    public bool? UnitNormDecoder { get; init; }

    /// <summary>The config these settings give: the architecture's defaults with every set option on top.</summary>
    public SaeConfig ToConfig()
    {
        var basis = SaeConfig.For(Arch ?? SaeArchitecture.TopK);
        var config = basis with
        {
            DSae = DSae ?? basis.DSae,
            K = K ?? basis.K,
            Seed = Seed ?? basis.Seed,
            Batch = Batch ?? basis.Batch,
            Epochs = Epochs ?? basis.Epochs,
            Steps = Steps ?? basis.Steps,
            TrainFraction = TrainFraction ?? basis.TrainFraction,
            Shuffle = Shuffle ?? basis.Shuffle,
            LearningRate = Lr ?? basis.LearningRate,
            WeightDecay = WeightDecay ?? basis.WeightDecay,
            LrWarmupSteps = LrWarmupSteps ?? basis.LrWarmupSteps,
            LrDecaySteps = LrDecaySteps ?? basis.LrDecaySteps,
            L1Coefficient = L1Coefficient ?? basis.L1Coefficient,
            L1WarmupSteps = L1WarmupSteps ?? basis.L1WarmupSteps,
            L0Coefficient = L0Coefficient ?? basis.L0Coefficient,
            JumpReluBandwidth = Bandwidth ?? basis.JumpReluBandwidth,
            JumpReluInitThreshold = InitThreshold ?? basis.JumpReluInitThreshold,
            AuxK = AuxK ?? basis.AuxK,
            AuxKCoefficient = AuxCoefficient ?? basis.AuxKCoefficient,
            DeadWindow = DeadWindow ?? basis.DeadWindow,
            DecoderBiasInit = BDecInit ?? basis.DecoderBiasInit,
            NormalizeInput = NormalizeInput ?? basis.NormalizeInput,
            UnitNormDecoder = UnitNormDecoder ?? basis.UnitNormDecoder,
        };
        // 0 means "8 x d_in" inside a config; given by the user it is a mistake, as -4 is.
        InvalidInputException.Require(DSae is null or >= 1, $"{Named("dSae")} must be at least 1, got {DSae}.");
        InvalidInputException.Require(Steps is null or >= 1, $"{Named("steps")} must be at least 1, got {Steps}.");
        InvalidInputException.Require(Steps is null || Epochs is null, $"{Named("steps")} and {Named("epochs")} are exclusive: give the training length one way.");
        InvalidInputException.Require(config.Seed >= 0, $"{Named("seed")} must be zero or positive, got {config.Seed}.");
        return config;
    }

    /// <summary>
    /// A copy (of the same runtime type, so derived records keep their own fields) with every option set
    /// to <paramref name="config"/>'s value: settings that mean the same run become equal.
    /// </summary>
    public SaeTrainSettings WithValuesOf(SaeConfig config) => this with
    {
        Arch = config.Architecture,
        DSae = config.DSae == 0 ? null : config.DSae,
        K = config.K,
        Seed = config.Seed,
        Batch = config.Batch,
        Epochs = config.Steps > 0 ? null : config.Epochs,
        Steps = config.Steps > 0 ? config.Steps : null,
        TrainFraction = config.TrainFraction,
        Shuffle = config.Shuffle,
        Lr = config.LearningRate,
        WeightDecay = config.WeightDecay,
        LrWarmupSteps = config.LrWarmupSteps,
        LrDecaySteps = config.LrDecaySteps,
        L1Coefficient = config.L1Coefficient,
        L1WarmupSteps = config.L1WarmupSteps,
        L0Coefficient = config.L0Coefficient,
        Bandwidth = config.JumpReluBandwidth,
        InitThreshold = config.JumpReluInitThreshold,
        AuxK = config.AuxK,
        AuxCoefficient = config.AuxKCoefficient,
        DeadWindow = config.DeadWindow,
        BDecInit = config.DecoderBiasInit,
        NormalizeInput = config.NormalizeInput,
        UnitNormDecoder = config.UnitNormDecoder,
    };
}
