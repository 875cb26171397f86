using System.ComponentModel;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using SaeAlign.Core;
using static SaeAlign.Core.InputField;
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
    public TopKSae(TopKSaeConfig config, int dIn, Tensor wEnc, Tensor wDec, Tensor bEnc, Tensor bDec)
        : base(config, dIn, wEnc, wDec, bEnc, bDec) => Config = config;

    public new TopKSaeConfig Config { get; }

    /// <summary>The sparse decode used in training; null trains with dense products (the autograd reference).</summary>
    public SparseDecoder? SparseDecoder { get; set; }

    public override Tensor Encode(Tensor x)
    {
        var (values, indices) = topk(PreActivations(x), Config.K, dim: -1);
        return zeros(x.shape[0], DSae, device: x.device).scatter(-1, indices, nn.functional.relu(values));
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
        var aux = AuxKLoss(Config, x, output, pre, deadMask, decode, gather);
        return new SaeStep(mse + aux, output, LatentActivity.OfSelected(indices, values, DSae), new Dictionary<string, Tensor> { ["mse"] = mse, ["auxk"] = aux });
    }
}

/// <summary>topk's settings (sparsify and SAELens defaults); batchtopk extends them.</summary>
public record TopKSaeConfig : SaeConfig, IKSparseConfig
{
    [Description("Active latents per row (per row on average for batchtopk).")]
    public int K { get; init; } = 32;

    [Description("Dead latents that reconstruct the residual in AuxK (0: d_in / 2).")]
    public int AuxK { get; init; }

    [Description("Coefficient of the AuxK loss (paper-toy: of its dead-latent term).")]
    [JsonPropertyName("auxCoefficient")]
    public double AuxKCoefficient { get; init; } = 1.0 / 32;

    public int ResolvedAuxK(int dIn) => AuxK == 0 ? Math.Max(1, dIn / 2) : AuxK;

    public SaeConfig WithK(int k) => this with { K = k };

    public override void Validate(int? dIn)
    {
        base.Validate(dIn);
        ValidateKSparse(K, AuxKCoefficient, dIn);
        int dSae = DSaeBound(dIn);
        InvalidInputException.Require(AuxK >= 0 && AuxK <= dSae, $"{Named("auxK")} must be {UpTo(dSae)} (0: d_in / 2), got {AuxK}.");
    }
}

/// <summary>topk: SAELens "topk" with k in cfg.json.</summary>
internal sealed class TopKArchitecture : SaeArchitecture<TopKSaeConfig>
{
    public override string Name => "topk";
    public override bool KeepsTopKPerRow => true;
    public override IReadOnlyList<string> SaeLensNames => ["topk"];
    public override void WriteSaeLens(SaeDictionary dictionary, JsonObject config, JsonObject metadata) => WriteSaeLensK(dictionary, config);
    public override int ReadSaeLensK(SaeLensConfig config) => config.Int("k");

    protected override SparseAutoencoder Build(TopKSaeConfig config, int dIn, SaeTensors t) => new TopKSae(config, dIn, t.WEnc, t.WDec, t.BEnc, t.BDec);
}
