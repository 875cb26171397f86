using static TorchSharp.torch;

namespace SaeAlign.Sae;

/// <summary>
/// TopK SAE (Gao et al. 2024; SAELens "topk", sparsify): codes keep each row's k largest
/// pre-activations (then ReLU); loss = ||x - x̂||² + AuxK. Decoding touches only k rows of W_dec,
/// so a <see cref="SparseDecoder"/> (Kernels: embedding_bag on CPU, ILGPU) can replace the dense product.
/// </summary>
public sealed class TopKSae : SparseAutoencoder
{
    public TopKSae(SaeConfig config, int dIn, Tensor wEnc, Tensor wDec, Tensor bEnc, Tensor bDec)
        : base(config, dIn, wEnc, wDec, bEnc, bDec) { }

    /// <summary>The sparse decode used in training; null decodes densely.</summary>
    public SparseDecoder? SparseDecoder { get; set; }

    public override Tensor Encode(Tensor x)
    {
        var (values, indices) = topk(PreActivations(x), Config.K, dim: -1);
        return zeros(x.shape[0], DSae).scatter(-1, indices, nn.functional.relu(values));
    }

    public override SaeStep Forward(Tensor x, Tensor deadMask, int step)
    {
        var pre = PreActivations(x);
        var (values, indices) = topk(pre, Config.K, dim: -1);
        values = nn.functional.relu(values);
        var output = DecodeSparse(indices, values) + BDec;
        var mse = SquaredError(x, output);
        var aux = AuxKLoss(x, output, pre, deadMask, DecodeSparse);
        var codes = zeros(x.shape[0], DSae).scatter(-1, indices, values.detach());
        return new SaeStep(mse + aux, output, codes, new Dictionary<string, Tensor> { ["mse"] = mse, ["auxk"] = aux });
    }

    private Tensor DecodeSparse(Tensor indices, Tensor values) =>
        SparseDecoder is { } sparse ? sparse(indices, values, WDec) : DenseDecode(indices, values);
}
