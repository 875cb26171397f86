using SaeAlign.Data;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SaeAlign.Sae;

/// <summary>
/// Gated SAE (Rajamanoharan et al. 2024; SAELens "gated"): a gate decides which latents fire and a magnitude path how
/// strongly, with tied encoder directions: f = 1[π_gate > 0] · ReLU(π_mag), π_gate = (x - b_dec) W_enc + b_gate,
/// π_mag = (x - b_dec) (W_enc ⊙ exp(r_mag)) + b_mag. loss = ||x - x̂||² + λ Σᵢ ReLU(π_gate)ᵢ ||W_dec,i|| + the auxiliary
/// loss ||x - (ReLU(π_gate) W_decᵀ + b_dec)||² with the decoder detached, which trains the gate's directions (the step
/// 1[π_gate > 0] passes no gradient). Inference is exactly a JumpReLU on the magnitude path with threshold
/// max(0, b_mag - b_gate ⊙ exp(r_mag)), which is what dictionaries hold; SAELens folders hold the gated tensors.
/// </summary>
public sealed class GatedSae : SparseAutoencoder
{
    /// <param name="bMag">b_mag, the model's b_enc.</param>
    public GatedSae(GatedSaeConfig config, int dIn, Tensor wEnc, Tensor wDec, Tensor bMag, Tensor bDec, Tensor bGate, Tensor rMag)
        : base(config, dIn, wEnc, wDec, bMag, bDec)
    {
        Config = config;
        BGate = Own(bGate);
        RMag = Own(rMag);
    }

    public new GatedSaeConfig Config { get; }
    public Parameter BGate { get; }
    public Parameter RMag { get; }

    public override IReadOnlyList<(string Name, Parameter Parameter)> Parameters =>
        [("W_enc", WEnc), ("W_dec", WDec), ("b_mag", BEnc), ("b_dec", BDec), ("b_gate", BGate), ("r_mag", RMag)];

    public override Tensor? Threshold => nn.functional.relu(BEnc - BGate * RMag.exp()).detach();

    public override (Tensor WEnc, Tensor BEnc) InferenceEncoder() => ((WEnc * RMag.exp()).detach(), BEnc.detach());

    public override Tensor Encode(Tensor x) => Codes(x - BDec).Codes;

    public override SaeStep Forward(Tensor x, Tensor deadMask, int step)
    {
        var (codes, gate) = Codes(x - BDec);
        var output = Decode(codes);
        var mse = SquaredError(x, output);
        var gateActs = nn.functional.relu(gate);
        var l1 = (gateActs * WDec.norm(1, keepdim: false)).sum(-1).mean();
        var aux = SquaredError(x, matmul(gateActs, WDec.detach()) + BDec.detach());
        var loss = mse + l1 * Config.L1At(step) + aux;
        return new SaeStep(loss, output, LatentActivity.OfCodes(codes), new Dictionary<string, Tensor> { ["mse"] = mse, ["l1"] = l1, ["aux"] = aux });
    }

    private (Tensor Codes, Tensor Gate) Codes(Tensor centred)
    {
        var gate = addmm(BGate, centred, WEnc, 1, 1);
        var magnitude = addmm(BEnc, centred, WEnc * RMag.exp(), 1, 1);
        return ((gate > 0).detach().to_type(ScalarType.Float32) * nn.functional.relu(magnitude), gate);
    }
}

/// <summary>gated's settings: relu-l1's L1 coefficient and warm-up, on the gate.</summary>
public sealed record GatedSaeConfig : ReluL1SaeConfig;

/// <summary>
/// gated: SAELens "gated" (W_enc, b_gate, r_mag, b_mag, W_dec, b_dec). Dictionaries hold its folded JumpReLU form
/// (W_enc ⊙ exp(r_mag), b_mag, threshold); written back to SAELens as r_mag = 0 and b_gate = b_mag - threshold, which
/// encodes the same codes.
/// </summary>
internal sealed class GatedArchitecture : SaeArchitecture<GatedSaeConfig>
{
    public override string Name => "gated";
    public override bool HasThreshold => true;
    public override IReadOnlyList<string> SaeLensNames => ["gated"];

    /// <summary>Fresh (no threshold): b_gate = r_mag = 0. From a dictionary: its folded form, r_mag = 0 and b_gate = b_enc - threshold.</summary>
    protected override SparseAutoencoder Build(GatedSaeConfig config, int dIn, SaeTensors t) =>
        new GatedSae(config, dIn, t.WEnc, t.WDec, t.BEnc, t.BDec, t.Threshold is { } threshold ? t.BEnc - threshold : zeros_like(t.BEnc), zeros_like(t.BEnc));

    public override IEnumerable<(string Name, SafeTensor Tensor)> WriteSaeLensEncoder(SaeDictionary dictionary)
    {
        long[] latents = [dictionary.DSae];
        yield return ("W_enc", new SafeTensor([dictionary.DIn, dictionary.DSae], dictionary.WEnc));
        yield return ("b_gate", new SafeTensor(latents, [.. dictionary.BEnc.Zip(dictionary.Threshold!, (b, t) => b - t)]));
        yield return ("r_mag", new SafeTensor(latents, new float[dictionary.DSae]));
        yield return ("b_mag", new SafeTensor(latents, dictionary.BEnc));
    }

    public override SaeLensEncoder ReadSaeLensEncoder(SaeLensTensors tensors)
    {
        var (wEnc, bGate, rMag, bMag) = (tensors.Matrix("W_enc"), tensors.Latents("b_gate"), tensors.Latents("r_mag"), tensors.Latents("b_mag"));
        int dSae = bMag.Length;
        var scale = Array.ConvertAll(rMag, r => (float)Math.Exp(r));
        var folded = new float[wEnc.Length];
        for (long i = 0; i < folded.LongLength; i++) folded[i] = wEnc[i] * scale[i % dSae];
        var threshold = new float[dSae];
        for (int j = 0; j < dSae; j++) threshold[j] = Math.Max(0f, bMag[j] - bGate[j] * scale[j]);
        return new SaeLensEncoder(folded, bMag, threshold);
    }
}
