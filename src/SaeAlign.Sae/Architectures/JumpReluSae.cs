using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SaeAlign.Sae;

/// <summary>
/// JumpReLU SAE (Rajamanoharan et al. 2024; SAELens "jumprelu"): f = z · H(z - θ) with a per-latent
/// threshold θ = exp(log θ). The step has no useful gradient, so θ learns through a straight-through
/// estimator with a rectangle kernel of width ε (the bandwidth); loss = ||x - x̂||² + λ L0.
/// </summary>
public sealed class JumpReluSae : SparseAutoencoder
{
    public JumpReluSae(SaeConfig config, int dIn, Tensor wEnc, Tensor wDec, Tensor bEnc, Tensor bDec, Tensor threshold)
        : base(config, dIn, wEnc, wDec, bEnc, bDec)
    {
        LogThreshold = Own(threshold.log());
    }

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
        double bandwidth = Config.JumpReluBandwidth;
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

/// <summary>jumprelu: SAELens "jumprelu" with a threshold tensor.</summary>
internal sealed class JumpReluArchitecture : SaeArchitecture
{
    public override string Name => "jumprelu";
    public override SaeSparsity Sparsity => SaeSparsity.L0Penalty;
    public override bool HasThreshold => true;
    public override IReadOnlyList<string> SaeLensNames => ["jumprelu"];

    // The L0 penalty carries the decoder scale in the loss itself.
    public override SaeConfig Defaults => base.Defaults with { UnitNormDecoder = false };

    public override SparseAutoencoder Build(SaeConfig config, int dIn, SaeTensors t) =>
        new JumpReluSae(config, dIn, t.WEnc, t.WDec, t.BEnc, t.BDec, t.Threshold!);

    protected override Tensor InitialThreshold(SaeConfig config, int dSae) => full(dSae, config.JumpReluInitThreshold);
}
