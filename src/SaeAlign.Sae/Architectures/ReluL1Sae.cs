using System.ComponentModel;
using SaeAlign.Core;
using static SaeAlign.Core.InputField;
using static TorchSharp.torch;

namespace SaeAlign.Sae;

/// <summary>
/// ReLU SAE with decoder-norm-weighted L1 (SAELens "standard", Anthropic's April 2024 update):
/// f = ReLU(pre); loss = ||x - x̂||² + λ Σᵢ fᵢ ||W_dec,i||, with λ ramped linearly over the warm-up steps.
/// Weighting by the decoder norm stops the optimiser from shrinking codes by growing the decoder.
/// </summary>
public sealed class ReluL1Sae : SparseAutoencoder
{
    public ReluL1Sae(ReluL1SaeConfig config, int dIn, Tensor wEnc, Tensor wDec, Tensor bEnc, Tensor bDec)
        : base(config, dIn, wEnc, wDec, bEnc, bDec) => Config = config;

    public new ReluL1SaeConfig Config { get; }

    public override Tensor Encode(Tensor x) => nn.functional.relu(PreActivations(x));

    public override SaeStep Forward(Tensor x, Tensor deadMask, int step)
    {
        var codes = Encode(x);
        var output = Decode(codes);
        var mse = SquaredError(x, output);
        var l1 = (codes * WDec.norm(1, keepdim: false)).sum(-1).mean();
        var loss = mse + l1 * Config.L1At(step);
        return new SaeStep(loss, output, LatentActivity.OfCodes(codes), new Dictionary<string, Tensor> { ["mse"] = mse, ["l1"] = l1 });
    }
}

/// <summary>
/// relu-l1's settings (and gated's, which penalises its gate the same way). Decoder-norm-weighted L1 carries the
/// decoder scale in the loss itself, so rows are not kept at unit norm.
/// </summary>
public record ReluL1SaeConfig : SaeConfig
{
    public ReluL1SaeConfig() => UnitNormDecoder = false;

    [Description("λ of the decoder-norm-weighted L1 penalty.")]
    public double L1Coefficient { get; init; } = 1.0;

    [Description("Steps over which λ ramps up from 0.")]
    public int L1WarmupSteps { get; init; }

    /// <summary>λ at <paramref name="step"/>: ramped linearly from 0 over the warm-up steps.</summary>
    public double L1At(int step) => L1WarmupSteps == 0 ? L1Coefficient : L1Coefficient * Math.Min(1.0, (step + 1.0) / L1WarmupSteps);

    public override void Validate(int? dIn)
    {
        base.Validate(dIn);
        InvalidInputException.Require(L1Coefficient >= 0 && double.IsFinite(L1Coefficient), $"{Named("l1Coefficient")} must be zero or positive, got {L1Coefficient}.");
        InvalidInputException.Require(L1WarmupSteps >= 0, $"{Named("l1WarmupSteps")} must be zero or positive, got {L1WarmupSteps}.");
    }
}

/// <summary>relu-l1: SAELens "standard"; folders from SAELens with no architecture are this one.</summary>
internal sealed class ReluL1Architecture : SaeArchitecture<ReluL1SaeConfig>
{
    public override string Name => "relu-l1";
    public override IReadOnlyList<string> SaeLensNames => ["standard"];

    protected override SparseAutoencoder Build(ReluL1SaeConfig config, int dIn, SaeTensors t) => new ReluL1Sae(config, dIn, t.WEnc, t.WDec, t.BEnc, t.BDec);
}
