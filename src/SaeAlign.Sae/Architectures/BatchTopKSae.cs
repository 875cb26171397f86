using System.Text.Json.Nodes;
using static TorchSharp.torch;

namespace SaeAlign.Sae;

/// <summary>
/// BatchTopK SAE (Bussmann et al. 2024; SAELens "batchtopk"): in training, the k·B largest ReLU
/// activations across the whole batch survive, so rows may use more or fewer than k latents. Inference
/// cannot see a batch, so a threshold tracks the smallest surviving activation as an EMA and the SAE is
/// used (and saved) as a JumpReLU with that threshold for every latent.
/// </summary>
public sealed class BatchTopKSae : SparseAutoencoder
{
    private readonly Tensor threshold;

    public BatchTopKSae(SaeConfig config, int dIn, Tensor wEnc, Tensor wDec, Tensor bEnc, Tensor bDec, Tensor threshold)
        : base(config, dIn, wEnc, wDec, bEnc, bDec)
    {
        this.threshold = threshold.detach().clone().contiguous();
        this.threshold.DetachFromDisposeScope();
    }

    public override IReadOnlyList<(string Name, Tensor Tensor)> Buffers => [("threshold", threshold)];

    public override Tensor? Threshold => threshold;

    public override Tensor Encode(Tensor x)
    {
        var pre = PreActivations(x);
        return nn.functional.relu(pre) * (pre > threshold);
    }

    public override SaeStep Forward(Tensor x, Tensor deadMask, int step)
    {
        var pre = PreActivations(x);
        var acts = nn.functional.relu(pre);
        long keep = Math.Min(acts.numel(), (long)Config.K * x.shape[0]);
        var (values, indices) = topk(acts.flatten(), (int)keep);
        var codes = zeros_like(acts).flatten().scatter(0, indices, values).view(acts.shape);
        var output = Decode(codes);
        UpdateThreshold(values, step);
        var mse = SquaredError(x, output);
        var aux = AuxKLoss(x, output, pre, deadMask, DenseDecode);
        return new SaeStep(mse + aux, output, LatentActivity.OfCodes(codes), new Dictionary<string, Tensor> { ["mse"] = mse, ["auxk"] = aux });
    }

    /// <summary>EMA of the smallest positive kept activation; the first step sets it, so short runs are not biased towards 0.</summary>
    private void UpdateThreshold(Tensor kept, int step)
    {
        using var noGrad = no_grad();
        var positive = kept.detach().masked_select(kept > 0);
        if (positive.numel() == 0) return;
        var smallest = positive.min();
        if (step == 0) threshold.copy_(smallest.expand_as(threshold));
        else threshold.mul_(1 - Config.ThresholdEmaRate).add_(smallest * Config.ThresholdEmaRate);
    }
}

/// <summary>
/// batchtopk: written as SAELens "jumprelu" (how SAELens saves BatchTopK for inference) with k in SaeAlign's
/// metadata; read from "batchtopk", or from "jumprelu" when the metadata names it.
/// </summary>
internal sealed class BatchTopKArchitecture : SaeArchitecture
{
    public override string Name => "batchtopk";
    public override SaeSparsity Sparsity => SaeSparsity.K;
    public override bool HasThreshold => true;
    public override IReadOnlyList<string> SaeLensNames => ["jumprelu", "batchtopk"];

    public override bool ReadsSaeLens(string saeLensName, string? recorded, bool subtractsDecoderBias) =>
        saeLensName == "batchtopk" || recorded == Name;

    public override void WriteSaeLens(SaeDictionary dictionary, JsonObject config, JsonObject metadata) => metadata["saealign_k"] = dictionary.K;

    public override int ReadSaeLensK(SaeLensConfig config) => config.OptionalInt("k") ?? config.OptionalMetadataInt("saealign_k") ?? 1;

    public override SparseAutoencoder Build(SaeConfig config, int dIn, SaeTensors t) =>
        new BatchTopKSae(config, dIn, t.WEnc, t.WDec, t.BEnc, t.BDec, t.Threshold!);

    protected override Tensor InitialThreshold(SaeConfig config, int dSae) => zeros(dSae);
}
