using TorchSharp;
using static TorchSharp.torch;

namespace SaeAlign.Sae;

/// <summary>
/// values[b, t] = pre[b, i[b, t]] for pre = input W_enc + b_enc, with a backward that touches only the gathered
/// entries: ∂W_enc[:, j] and ∂b_enc[j] sum over the (b, t) that picked latent j, and ∂input[b] = Σ_t g[b, t] W_enc[:, i[b, t]].
/// That costs B·k·d_in instead of the two dense B·d_sae·d_in products autograd spends on a top-k of the full
/// pre-activations (most of whose gradient is zero), which is what makes the sparse TopK path cheaper than the dense one.
/// </summary>
internal sealed class GatheredPreActivations : autograd.SingleTensorFunction<GatheredPreActivations>
{
    public override string Name => "SaeAlignGatheredPreActivations";

    /// <summary>
    /// vars: input [B, d_in] (differentiable: it carries b_dec's gradient), W_enc [d_in, d_sae], b_enc [d_sae],
    /// indices [B, n] int64, and the pre-activations [B, d_sae] already computed without gradient.
    /// </summary>
    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var (input, wEnc, indices, pre) = ((Tensor)vars[0], (Tensor)vars[1], (Tensor)vars[3], (Tensor)vars[4]);
        ctx.save_for_backward([input.detach(), wEnc.detach(), indices]);
        return pre.gather(1, indices);
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradient)
    {
        var saved = ctx.get_saved_variables();
        var (input, wEnc, indices) = (saved[0], saved[1], saved[2]);
        long batch = indices.shape[0], picked = indices.shape[1], dSae = wEnc.shape[1];
        var flat = indices.reshape(-1);
        // ∂input[b] = Σ_t g[b, t] W_enc[:, i[b, t]]: an embedding bag over the latents' encoder columns, copied
        // contiguous first (gathering the columns of W_enc in place is a strided read, and was most of the step).
        var columns = wEnc.t().contiguous();
        using var bag = nn.EmbeddingBag_from_pretrained(columns, freeze: true, mode: EmbeddingBagMode.Sum);
        var inputGradient = bag.call(indices, null, gradient);
        // ∂W_enc[:, j] = Σ over the (b, t) that picked j of g[b, t] input[b]: a sparse [d_sae, B] x [B, d_in] product.
        // A latent appears at most once per row, so the sparse entries are distinct.
        var samples = arange(batch, dtype: ScalarType.Int64, device: gradient.device).repeat_interleave(picked);
        var selection = sparse_coo_tensor(stack([flat, samples]), gradient.reshape(-1), [dSae, batch]);
        var encoderGradient = selection.matmul(input).t();
        var biasGradient = zeros(dSae, dtype: gradient.dtype, device: gradient.device).index_add_(0, flat, gradient.reshape(-1), 1);
        // One entry per forward argument; the indices and the precomputed pre-activations take none.
        return [inputGradient, encoderGradient, biasGradient, null!, null!];
    }
}
