using System.ComponentModel;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
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
    public PaperToySae(PaperToySaeConfig config, int dIn, Tensor wEnc, Tensor wDec, Tensor bEnc, Tensor bDec)
        : base(config, dIn, wEnc, wDec, bEnc, bDec) => Config = config;

    public new PaperToySaeConfig Config { get; }

    /// <summary>Xavier-normal W_enc then W_dec from one generator, as nn.init.xavier_normal_ after torch.manual_seed(seed), drawn on the CPU and placed on <paramref name="device"/>.</summary>
    public static PaperToySae Initialize(PaperToySaeConfig config, int dIn, Device? device = null)
    {
        using var scope = NewDisposeScope();
        int dSae = config.ResolvedDSae(dIn);
        using var generator = new Generator((ulong)config.Seed);
        double std = Math.Sqrt(2.0 / (dIn + dSae));
        var wEnc = randn(dIn, dSae, generator: generator).mul_(std);
        var wDec = randn(dSae, dIn, generator: generator).mul_(std);
        var on = device ?? CPU;
        return new PaperToySae(config, dIn, wEnc.to(on), wDec.to(on), zeros(dSae, device: on), zeros(dIn, device: on));
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

/// <summary>
/// paper-toy's settings, whose defaults are the paper's train_sae: ToySAE(n_neurons, 64, topk=7), AdamW(lr=1e-3)
/// with torch's default weight decay 0.01, batch 1024, data in order, one pass over the first 80% of the activations.
/// </summary>
public sealed record PaperToySaeConfig : SaeConfig, IKSparseConfig
{
    public PaperToySaeConfig()
    {
        DSae = 64;
        Batch = 1024;
        TrainFraction = 0.8;
        Shuffle = false;
        LearningRate = 1e-3;
        WeightDecay = 0.01;
        DecoderBiasInit = DecoderBiasInit.Zeros;
        NormalizeInput = false;
        UnitNormDecoder = false;
    }

    [Description("Active latents per row (per row on average for batchtopk).")]
    public int K { get; init; } = 7;

    [Description("Coefficient of the AuxK loss (paper-toy: of its dead-latent term).")]
    [JsonPropertyName("auxCoefficient")]
    public double AuxKCoefficient { get; init; } = 0.1;

    public SaeConfig WithK(int k) => this with { K = k };

    public override void Validate(int? dIn)
    {
        base.Validate(dIn);
        ValidateKSparse(K, AuxKCoefficient, dIn);
    }
}

/// <summary>
/// paper-toy: written as SAELens "topk" with apply_b_dec_to_input = false; read back as paper-toy only when
/// SaeAlign's metadata names it and the input is not centred (otherwise it is a topk SAE).
/// </summary>
internal sealed class PaperToyArchitecture : SaeArchitecture<PaperToySaeConfig>
{
    public override string Name => "paper-toy";
    public override bool KeepsTopKPerRow => true;
    public override bool SubtractsDecoderBias => false;
    public override IReadOnlyList<string> SaeLensNames => ["topk"];

    public override bool ReadsSaeLens(string saeLensName, string? recorded, bool subtractsDecoderBias) =>
        recorded == Name && !subtractsDecoderBias;

    public override void WriteSaeLens(SaeDictionary dictionary, JsonObject config, JsonObject metadata) => WriteSaeLensK(dictionary, config);
    public override int ReadSaeLensK(SaeLensConfig config) => config.Int("k");

    protected override SparseAutoencoder Build(PaperToySaeConfig config, int dIn, SaeTensors t) => new PaperToySae(config, dIn, t.WEnc, t.WDec, t.BEnc, t.BDec);

    /// <summary>Xavier-normal as the paper, whatever the decoder bias (the paper's starts at 0).</summary>
    public override SparseAutoencoder Create(SaeConfig config, int dIn, Tensor decoderBias, Device? device = null) => PaperToySae.Initialize((PaperToySaeConfig)config, dIn, device);
}
