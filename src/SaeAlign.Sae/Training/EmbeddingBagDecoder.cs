using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SaeAlign.Sae;

/// <summary>
/// The CPU fast path of TopK decoding: libtorch's embedding_bag (mode sum, per-sample weights) computes
/// Σ_t v[b,t] W_dec[i[b,t]] without materialising the dense [B, d_sae] code matrix, and its backward
/// scatters into only the k touched decoder rows per sample. Costs B·k·d_in instead of B·d_sae·d_in.
/// </summary>
public sealed class EmbeddingBagDecoder : IDisposable
{
    private readonly EmbeddingBag bag;
    private readonly Parameter decoder;

    /// <summary>Decodes with <paramref name="decoder"/> [d_sae, d_in] itself (shared, so gradients reach it).</summary>
    public EmbeddingBagDecoder(Parameter decoder)
    {
        this.decoder = decoder;
        bag = nn.EmbeddingBag(decoder.shape[0], decoder.shape[1], mode: EmbeddingBagMode.Sum);
        bag.weight = decoder;
    }

    /// <summary>
    /// indices [B, k] int64, values [B, k] -> [B, d_in] (no bias); the signature of SaeAlign.Sae.SparseDecoder.
    /// <paramref name="decoderArgument"/> must be the decoder given at construction.
    /// </summary>
    public Tensor Decode(Tensor indices, Tensor values, Tensor decoderArgument)
    {
        if (decoderArgument.Handle != decoder.Handle)
            throw new ArgumentException("This EmbeddingBagDecoder was built for another decoder matrix.", nameof(decoderArgument));
        return bag.call(indices, null, values);
    }

    /// <summary>Frees the module and with it the shared decoder (a TorchSharp module disposes its parameters): dispose it with the model.</summary>
    public void Dispose() => bag.Dispose();
}
