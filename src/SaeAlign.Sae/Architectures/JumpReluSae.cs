using System.ComponentModel;
using System.Text.Json.Serialization;
using SaeAlign.Core;
using TorchSharp.Modules;
using static SaeAlign.Core.InputField;
using static TorchSharp.torch;

namespace SaeAlign.Sae;

/// <summary>
/// JumpReLU SAE (Rajamanoharan et al. 2024; SAELens "jumprelu"): f = z · H(z - θ) with a per-latent
/// threshold θ = exp(log θ). The step has no useful gradient, so θ learns through a straight-through
/// estimator with a rectangle kernel of width ε (the bandwidth); loss = ||x - x̂||² + λ L0.
/// </summary>
public sealed class JumpReluSae : SparseAutoencoder
{
    public JumpReluSae(JumpReluSaeConfig config, int dIn, Tensor wEnc, Tensor wDec, Tensor bEnc, Tensor bDec, Tensor threshold)
        : base(config, dIn, wEnc, wDec, bEnc, bDec)
    {
        Config = config;
        LogThreshold = Own(threshold.log());
    }

    public new JumpReluSaeConfig Config { get; }

    public Parameter LogThreshold { get; }

    public override IReadOnlyList<(string Name, Parameter Parameter)> Parameters => [.. base.Parameters, ("log_threshold", LogThreshold)];

    public override Tensor? Threshold => LogThreshold.detach().exp();

    public override Tensor Encode(Tensor x)
    {
        var pre = PreActivations(x);
        return pre * (pre > LogThreshold.exp());
    }

    public override SaeStep Forward(Tensor x, Tensor deadMask, int step)
    {
        var pre = PreActivations(x);
        var theta = LogThreshold.exp();
        var open = (pre > theta).detach().to_type(ScalarType.Float32);
        // Pseudo-derivatives of the paper: zero in the forward value, ∂/∂θ through the rectangle kernel.
        double bandwidth = Config.Bandwidth;
        var kernel = ((pre.detach() - theta.detach()).abs() < bandwidth / 2).to_type(ScalarType.Float32) / bandwidth;
        var thetaDelta = theta - theta.detach();
        var codes = pre * open - thetaDelta * theta.detach() * kernel;
        var step0 = open - thetaDelta * kernel;
        var output = Decode(codes);
        var mse = SquaredError(x, output);
        var l0 = step0.sum(-1).mean();
        var loss = mse + l0 * Config.L0Coefficient;
        return new SaeStep(loss, output, LatentActivity.OfCodes(codes), new Dictionary<string, Tensor> { ["mse"] = mse, ["l0"] = l0 });
    }
}

/// <summary>jumprelu's settings. The L0 penalty carries the decoder scale in the loss itself, so rows are not kept at unit norm.</summary>
public sealed record JumpReluSaeConfig : SaeConfig
{
    public JumpReluSaeConfig() => UnitNormDecoder = false;

    [Description("Coefficient of the L0 penalty.")]
    public double L0Coefficient { get; init; } = 1.0;

    [Description("Width of the rectangle kernel of the threshold's gradient.")]
    public double Bandwidth { get; init; } = 0.05;

    [Description("Initial threshold of every latent.")]
    public double InitThreshold { get; init; } = 0.01;

    public override void Validate(int? dIn)
    {
        base.Validate(dIn);
        InvalidInputException.Require(L0Coefficient >= 0 && double.IsFinite(L0Coefficient), $"{Named("l0Coefficient")} must be zero or positive, got {L0Coefficient}.");
        InvalidInputException.Require(Bandwidth > 0 && double.IsFinite(Bandwidth), $"{Named("bandwidth")} must be positive, got {Bandwidth}.");
        InvalidInputException.Require(InitThreshold > 0 && double.IsFinite(InitThreshold), $"{Named("initThreshold")} must be positive, got {InitThreshold}.");
    }
}

/// <summary>jumprelu: SAELens "jumprelu" with a threshold tensor.</summary>
internal sealed class JumpReluArchitecture : SaeArchitecture<JumpReluSaeConfig>
{
    public override string Name => "jumprelu";
    public override bool HasThreshold => true;
    public override IReadOnlyList<string> SaeLensNames => ["jumprelu"];

    protected override SparseAutoencoder Build(JumpReluSaeConfig config, int dIn, SaeTensors t) =>
        new JumpReluSae(config, dIn, t.WEnc, t.WDec, t.BEnc, t.BDec, t.Threshold!);

    protected override Tensor InitialThreshold(JumpReluSaeConfig config, int dSae) => full(dSae, config.InitThreshold);
}
