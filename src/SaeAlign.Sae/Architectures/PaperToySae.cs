using static TorchSharp.torch;

namespace SaeAlign.Sae;

/// <summary>
/// The disentanglement paper's ToySAE (cest-andre/align-interp, toy_models.py), step for step:
/// h = ReLU(x W_enc + b_enc), keep the top k of h, x̂ = h W_dec + b_dec (no b_dec subtraction);
/// loss = mean((x - x̂)²) + α mean((dead_recon - (x - x̂))²), where the dead latents are those that
/// did not fire in this batch and dead_recon = (dead · pre-activations) W_dec + b_dec. As in the paper,
/// the residual x - x̂ is not detached, and the paper's top-k over all d_sae dead pre-activations keeps them all.
/// </summary>
public sealed class PaperToySae : SparseAutoencoder
{
    public PaperToySae(SaeConfig config, int dIn, Tensor wEnc, Tensor wDec, Tensor bEnc, Tensor bDec)
        : base(config, dIn, wEnc, wDec, bEnc, bDec) { }

    public override bool SubtractsDecoderBias => false;

    /// <summary>Xavier-normal W_enc then W_dec from one generator, as nn.init.xavier_normal_ after torch.manual_seed(seed).</summary>
    public static PaperToySae Initialize(SaeConfig config, int dIn)
    {
        using var scope = NewDisposeScope();
        int dSae = config.ResolvedDSae(dIn);
        using var generator = new Generator((ulong)config.Seed);
        double std = Math.Sqrt(2.0 / (dIn + dSae));
        var wEnc = randn(dIn, dSae, generator: generator).mul_(std);
        var wDec = randn(dSae, dIn, generator: generator).mul_(std);
        return new PaperToySae(config, dIn, wEnc, wDec, zeros(dSae), zeros(dIn));
    }

    public override Tensor Encode(Tensor x) => TopK(nn.functional.relu(PreActivations(x)));

    public override SaeStep Forward(Tensor x, Tensor deadMask, int step)
    {
        var pre = PreActivations(x);
        var codes = TopK(nn.functional.relu(pre));
        var output = Decode(codes);
        var mse = (x - output).square().mean();
        var batchDead = (codes > 0).sum(dim: 0).eq(0).to_type(ScalarType.Float32).detach();
        var deadRecon = Decode(batchDead * pre);
        var aux = (deadRecon - (x - output)).square().mean() * Config.AuxKCoefficient;
        return new SaeStep(mse + aux, output, LatentActivity.OfCodes(codes), new Dictionary<string, Tensor> { ["mse"] = mse, ["aux"] = aux });
    }

    private Tensor TopK(Tensor hidden)
    {
        var (values, indices) = topk(hidden, Config.K, dim: -1);
        return zeros_like(hidden).scatter(-1, indices, nn.functional.relu(values));
    }
}
