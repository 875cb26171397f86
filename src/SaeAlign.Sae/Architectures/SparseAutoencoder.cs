using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SaeAlign.Sae;

/// <summary>Decodes k active latents per row: indices [B, k] int64, values [B, k], decoder [d_sae, d_in] -> [B, d_in] (no bias).</summary>
public delegate Tensor SparseDecoder(Tensor indices, Tensor values, Tensor decoder);

/// <summary>What one training forward pass gives the trainer: the loss to minimise, the reconstruction, which latents were active and the loss terms.</summary>
public sealed record SaeStep(Tensor Loss, Tensor Output, LatentActivity Activity, IReadOnlyDictionary<string, Tensor> Terms);

/// <summary>
/// The shared shape of every SAE (SAELens layout): W_enc [d_in, d_sae], W_dec [d_sae, d_in], b_enc [d_sae],
/// b_dec [d_in]; pre-activations (x - b_dec) W_enc + b_enc (paper-toy does not subtract b_dec) and
/// reconstruction codes W_dec + b_dec. Each architecture adds its activation and training loss.
/// </summary>
public abstract class SparseAutoencoder : IDisposable
{
    protected SparseAutoencoder(SaeConfig config, int dIn, Tensor wEnc, Tensor wDec, Tensor bEnc, Tensor bDec)
    {
        Config = config;
        DIn = dIn;
        DSae = config.ResolvedDSae(dIn);
        WEnc = Own(wEnc);
        WDec = Own(wDec);
        BEnc = Own(bEnc);
        BDec = Own(bDec);
    }

    /// <summary>A trained tensor that outlives the caller's dispose scope; the model disposes it.</summary>
    protected static Parameter Own(Tensor initial)
    {
        var parameter = new Parameter(initial.detach().clone().contiguous());
        parameter.DetachFromDisposeScope();
        return parameter;
    }

    public SaeConfig Config { get; }
    public int DIn { get; }
    public int DSae { get; }
    public Parameter WEnc { get; }
    public Parameter WDec { get; }
    public Parameter BEnc { get; }
    public Parameter BDec { get; }

    /// <summary>SAELens' apply_b_dec_to_input, a fact of the architecture (the paper's ToySAE does not centre its input on b_dec).</summary>
    public bool SubtractsDecoderBias => Config.Architecture.SubtractsDecoderBias;

    /// <summary>The trained tensors by SAELens name, in a fixed order (checkpoints, optimiser state).</summary>
    public virtual IReadOnlyList<(string Name, Parameter Parameter)> Parameters =>
        [("W_enc", WEnc), ("W_dec", WDec), ("b_enc", BEnc), ("b_dec", BDec)];

    /// <summary>Non-trained state that a checkpoint must restore (batchtopk's threshold).</summary>
    public virtual IReadOnlyList<(string Name, Tensor Tensor)> Buffers => [];

    /// <summary>The per-latent inference threshold (JumpReLU-style), or null for architectures without one.</summary>
    public virtual Tensor? Threshold => null;

    /// <summary>
    /// W_enc and b_enc of inference in the dictionary form (pre = (x - b_dec) W_enc + b_enc, then the architecture's
    /// activation with <see cref="Threshold"/>): the trained ones, or (gated) the ones its own parameters fold into.
    /// </summary>
    public virtual (Tensor WEnc, Tensor BEnc) InferenceEncoder() => (WEnc, BEnc);

    // addmm adds the bias inside the product: one [B, d_sae] tensor instead of two, each a page-faulted allocation at scale.
    public Tensor PreActivations(Tensor x) => addmm(BEnc, SubtractsDecoderBias ? x - BDec : x, WEnc, 1, 1);

    /// <summary>Inference codes [B, d_sae].</summary>
    public abstract Tensor Encode(Tensor x);

    public Tensor Decode(Tensor codes) => matmul(codes, WDec) + BDec;

    /// <summary>One training forward pass; <paramref name="deadMask"/> [d_sae] marks latents dead over the window.</summary>
    public abstract SaeStep Forward(Tensor x, Tensor deadMask, int step);

    /// <summary>Sum over units of the squared error, mean over rows (SAELens' MSE term).</summary>
    protected static Tensor SquaredError(Tensor x, Tensor output) => (output - x).square().sum(-1).mean();

    /// <summary>
    /// AuxK (Gao et al. 2024; sparsify, SAELens): the k_aux largest pre-activations among dead latents
    /// reconstruct the detached residual, so dead latents receive gradient and come back.
    /// </summary>
    /// <param name="settings">k_aux and the loss coefficient.</param>
    /// <param name="gather">Differentiable pre-activations at given indices; default: taken from <paramref name="pre"/> by autograd.</param>
    protected Tensor AuxKLoss(TopKSaeConfig settings, Tensor x, Tensor output, Tensor pre, Tensor deadMask, Func<Tensor, Tensor, Tensor> decodeSparse, Func<Tensor, Tensor>? gather = null)
    {
        long dead = deadMask.sum().item<long>();
        if (dead == 0 || settings.AuxKCoefficient == 0) return zeros(1, device: x.device).squeeze();
        int auxK = settings.ResolvedAuxK(DIn);
        int k = (int)Math.Min(auxK, dead);
        double scale = Math.Min(dead / (double)auxK, 1.0);
        var masked = where(deadMask, pre, full_like(pre, double.NegativeInfinity));
        var (values, indices) = topk(masked, k, dim: -1);
        if (gather is not null) values = gather(indices);
        var residual = (x - output).detach();
        var estimate = decodeSparse(indices, nn.functional.relu(values));
        return (estimate - residual).square().sum(-1).mean() * (settings.AuxKCoefficient * scale);
    }

    /// <summary>Dense decode of k active latents per row (no bias): scatter into [B, d_sae], then multiply.</summary>
    protected Tensor DenseDecode(Tensor indices, Tensor values) =>
        matmul(zeros(values.shape[0], DSae, device: values.device).scatter(-1, indices, values), WDec);

    /// <summary>Removes from W_dec's gradient each row's component along that row, so a step keeps unit norms to first order.</summary>
    public void RemoveParallelDecoderGradient()
    {
        using var noGrad = no_grad();
        if (WDec.grad is not { } grad) return;
        var parallel = (grad * WDec).sum(-1, keepdim: true);
        grad.sub_(parallel * WDec);
    }

    public void NormalizeDecoderRows()
    {
        using var noGrad = no_grad();
        WDec.div_(WDec.norm(1, keepdim: true).clamp_min(1e-12));
    }

    public void Dispose()
    {
        GC.SuppressFinalize(this);
        foreach (var (_, p) in Parameters) p.Dispose();
        foreach (var (_, b) in Buffers) b.Dispose();
    }
}
