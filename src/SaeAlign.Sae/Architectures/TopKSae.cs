using System.Text.Json.Nodes;
using static TorchSharp.torch;

namespace SaeAlign.Sae;

/// <summary>
/// TopK SAE (Gao et al. 2024; SAELens "topk", sparsify): codes keep each row's k largest
/// pre-activations (then ReLU); loss = ||x - x̂||² + AuxK. With a <see cref="SparseDecoder"/> (Kernels:
/// embedding_bag on CPU, ILGPU) the whole step touches only the selected latents: decode and encoder
/// gradient cost B·k·d_in instead of B·d_sae·d_in.
/// </summary>
public sealed class TopKSae : SparseAutoencoder
{
    public TopKSae(SaeConfig config, int dIn, Tensor wEnc, Tensor wDec, Tensor bEnc, Tensor bDec)
        : base(config, dIn, wEnc, wDec, bEnc, bDec) { }

    /// <summary>The sparse decode used in training; null trains with dense products (the autograd reference).</summary>
    public SparseDecoder? SparseDecoder { get; set; }

    public override Tensor Encode(Tensor x)
    {
        var (values, indices) = topk(PreActivations(x), Config.K, dim: -1);
        return zeros(x.shape[0], DSae).scatter(-1, indices, nn.functional.relu(values));
    }

    public override SaeStep Forward(Tensor x, Tensor deadMask, int step)
    {
        if (SparseDecoder is { } sparse)
        {
            // The latents are chosen on pre-activations computed without gradient; GatheredPreActivations
            // then gives the chosen ones a gradient that touches only them.
            var input = x - BDec;
            Tensor pre;
            using (no_grad()) pre = PreActivations(x);
            return Step(x, pre, deadMask,
                indices => GatheredPreActivations.apply(input, WEnc, BEnc, indices, pre),
                (indices, values) => sparse(indices, values, WDec));
        }
        var dense = PreActivations(x);
        return Step(x, dense, deadMask, indices => dense.gather(1, indices), DenseDecode);
    }

    private SaeStep Step(Tensor x, Tensor pre, Tensor deadMask, Func<Tensor, Tensor> gather, Func<Tensor, Tensor, Tensor> decode)
    {
        var indices = topk(pre, Config.K, dim: -1).indices;
        var values = nn.functional.relu(gather(indices));
        var output = decode(indices, values) + BDec;
        var mse = SquaredError(x, output);
        var aux = AuxKLoss(x, output, pre, deadMask, decode, gather);
        return new SaeStep(mse + aux, output, LatentActivity.OfSelected(indices, values, DSae), new Dictionary<string, Tensor> { ["mse"] = mse, ["auxk"] = aux });
    }
}

/// <summary>topk: SAELens "topk" with k in cfg.json.</summary>
internal sealed class TopKArchitecture : SaeArchitecture
{
    public override string Name => "topk";
    public override SaeSparsity Sparsity => SaeSparsity.K;
    public override IReadOnlyList<string> SaeLensNames => ["topk"];
    public override void WriteSaeLens(SaeDictionary dictionary, JsonObject config, JsonObject metadata) => WriteSaeLensK(dictionary, config);
    public override int ReadSaeLensK(SaeLensConfig config) => config.Int("k");

    public override SparseAutoencoder Build(SaeConfig config, int dIn, SaeTensors t) => new TopKSae(config, dIn, t.WEnc, t.WDec, t.BEnc, t.BDec);
}
