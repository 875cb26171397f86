using System.ComponentModel;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using SaeAlign.Core;
using static SaeAlign.Core.InputField;
using static TorchSharp.torch;

namespace SaeAlign.Sae;

/// <summary>
/// BatchTopK SAE (Bussmann et al. 2024; SAELens "batchtopk"): in training, the k·B largest ReLU
/// activations across the whole batch survive, so rows may use more or fewer than k latents. Inference
/// cannot see a batch, so a threshold tracks the smallest surviving activation as an EMA and the SAE is
/// used (and saved) as a JumpReLU with that threshold for every latent.
/// </summary>
public class BatchTopKSae : SparseAutoencoder
{
    private readonly Tensor threshold;

    public BatchTopKSae(BatchTopKSaeConfig config, int dIn, Tensor wEnc, Tensor wDec, Tensor bEnc, Tensor bDec, Tensor threshold)
        : base(config, dIn, wEnc, wDec, bEnc, bDec)
    {
        Config = config;
        this.threshold = threshold.detach().clone().contiguous();
        this.threshold.DetachFromDisposeScope();
    }

    public new BatchTopKSaeConfig Config { get; }

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
        var aux = AuxKLoss(Config, x, output, pre, deadMask, DenseDecode);
        var terms = new Dictionary<string, Tensor> { ["mse"] = mse, ["auxk"] = aux };
        var loss = mse + aux;
        foreach (var (name, term) in NestedLosses(x, codes))
        {
            terms[name] = term;
            loss = loss + term;
        }
        return new SaeStep(loss, output, LatentActivity.OfCodes(codes), terms);
    }

    /// <summary>Loss terms added to the full SAE's (Matryoshka's prefix reconstructions); none for batchtopk itself.</summary>
    protected virtual IEnumerable<(string Name, Tensor Loss)> NestedLosses(Tensor x, Tensor codes) => [];

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

/// <summary>batchtopk's settings: topk's, with k active latents per row on average, and the threshold's EMA rate.</summary>
public record BatchTopKSaeConfig : TopKSaeConfig
{
    [Description("EMA rate of the inference threshold (the smallest kept activation per batch).")]
    [JsonPropertyName("thresholdEma")]
    public double ThresholdEmaRate { get; init; } = 0.01;

    public override void Validate(int? dIn)
    {
        base.Validate(dIn);
        InvalidInputException.Require(ThresholdEmaRate > 0 && ThresholdEmaRate <= 1, $"{Named("thresholdEma")} must be in (0, 1], got {ThresholdEmaRate}.");
    }
}

/// <summary>
/// batchtopk and the architectures that train like it: written as SAELens "jumprelu" (how SAELens saves them for
/// inference) with k in SaeAlign's metadata; read from their own SAELens name, or from "jumprelu" when the metadata names them.
/// </summary>
internal abstract class ThresholdedBatchTopKArchitecture<TConfig> : SaeArchitecture<TConfig> where TConfig : BatchTopKSaeConfig, new()
{
    /// <summary>The architecture's own name in SAELens configs.</summary>
    protected abstract string SaeLensName { get; }

    public override bool HasThreshold => true;
    public override IReadOnlyList<string> SaeLensNames => ["jumprelu", SaeLensName];

    public override bool ReadsSaeLens(string saeLensName, string? recorded, bool subtractsDecoderBias) =>
        saeLensName == SaeLensName || recorded == Name;

    public override void WriteSaeLens(SaeDictionary dictionary, JsonObject config, JsonObject metadata) => metadata["saealign_k"] = dictionary.K;

    public override int ReadSaeLensK(SaeLensConfig config) => config.OptionalInt("k") ?? config.OptionalMetadataInt("saealign_k") ?? 1;

    protected override Tensor InitialThreshold(TConfig config, int dSae) => zeros(dSae);
}

internal sealed class BatchTopKArchitecture : ThresholdedBatchTopKArchitecture<BatchTopKSaeConfig>
{
    public override string Name => "batchtopk";
    protected override string SaeLensName => "batchtopk";

    protected override SparseAutoencoder Build(BatchTopKSaeConfig config, int dIn, SaeTensors t) =>
        new BatchTopKSae(config, dIn, t.WEnc, t.WDec, t.BEnc, t.BDec, t.Threshold!);
}
