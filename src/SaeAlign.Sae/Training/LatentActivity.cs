using static TorchSharp.torch;

namespace SaeAlign.Sae;

/// <summary>
/// Which latents a training step's batch activated, computed only when asked (a bare step, as the benchmarks time
/// it, needs neither): as dense codes [B, d_sae], or as each row's selected latents, for TopK at d_sae = 16,384,
/// where building the dense codes cost more than the sparse decode they stand for.
/// </summary>
public abstract record LatentActivity
{
    /// <summary>[d_sae] bool: the latents with a positive code in some row.</summary>
    public abstract Tensor Fired();

    /// <summary>The mean number of positive codes per row (L0).</summary>
    public abstract float MeanL0();

    public static LatentActivity OfCodes(Tensor codes) => new Dense(codes.detach());

    /// <summary>indices and values [B, k]: each row's selected latents and their codes.</summary>
    public static LatentActivity OfSelected(Tensor indices, Tensor values, long dSae) => new Selected(indices, values.detach(), dSae);

    private sealed record Dense(Tensor Codes) : LatentActivity
    {
        public override Tensor Fired() => (Codes > 0).any(0);

        public override float MeanL0() => (Codes > 0).sum(-1).to_type(ScalarType.Float32).mean().item<float>();
    }

    private sealed record Selected(Tensor Indices, Tensor Values, long DSae) : LatentActivity
    {
        public override Tensor Fired() => zeros(DSae, dtype: ScalarType.Bool, device: Indices.device).index_fill_(0, Indices.masked_select(Values > 0), true);

        public override float MeanL0() => (Values > 0).sum(-1).to_type(ScalarType.Float32).mean().item<float>();
    }
}
