using SaeAlign.Core;
using SaeAlign.Data;
using static TorchSharp.torch;

namespace SaeAlign.Sae;

/// <summary>
/// A trained SAE as plain arrays, the form every file format holds (README, "File formats": SAE dictionary):
/// W_enc row-major [d_in, d_sae], W_dec row-major [d_sae, d_in] (row i is latent i's direction),
/// b_enc [d_sae], b_dec [d_in], and for JumpReLU-style inference a per-latent threshold. Input
/// scaling is already folded in, so the dictionary applies to activations as they are on disk.
/// </summary>
public sealed record SaeDictionary(
    SaeArchitecture Architecture,
    int DIn,
    int DSae,
    int K,
    float[] WEnc,
    float[] WDec,
    float[] BEnc,
    float[] BDec,
    float[]? Threshold,
    float[]? Density,
    IReadOnlyDictionary<string, string> Metadata)
{
    /// <summary>Whether inference centres x on b_dec first (SAELens apply_b_dec_to_input).</summary>
    public bool SubtractsDecoderBias => Architecture.SubtractsDecoderBias;

    public bool HasThreshold => Architecture.HasThreshold;

    /// <summary>Checks every array against d_in and d_sae; <paramref name="source"/> names the file in the message.</summary>
    public void Validate(string source)
    {
        InvalidInputException.Require(DIn >= 1, $"{source}: d_in must be at least 1, got {DIn}.");
        InvalidInputException.Require(DSae >= 1, $"{source}: d_sae must be at least 1, got {DSae}.");
        if (Architecture.UsesK)
            InvalidInputException.Require(K >= 1 && K <= DSae, $"{source}: k must be between 1 and d_sae = {DSae}, got {K}.");
        Length(WEnc, (long)DIn * DSae, "W_enc", $"[{DIn}, {DSae}]", source);
        Length(WDec, (long)DSae * DIn, "W_dec", $"[{DSae}, {DIn}]", source);
        Length(BEnc, DSae, "b_enc", $"[{DSae}]", source);
        Length(BDec, DIn, "b_dec", $"[{DIn}]", source);
        if (HasThreshold)
        {
            InvalidInputException.Require(Threshold is not null, $"{source}: a {Architecture.Name} SAE needs a 'threshold' per latent.");
            Length(Threshold!, DSae, "threshold", $"[{DSae}]", source);
        }
        if (Density is not null) Length(Density, DSae, "density", $"[{DSae}]", source);
        foreach (var (name, values) in new[] { ("W_enc", WEnc), ("W_dec", WDec), ("b_enc", BEnc), ("b_dec", BDec), ("threshold", Threshold ?? []) })
        {
            int bad = Array.FindIndex(values, v => !float.IsFinite(v));
            InvalidInputException.Require(bad < 0, $"{source}: '{name}' entry {bad} is not finite.");
        }
    }

    /// <summary>Reads a dictionary .parquet (<see cref="DictionaryParquet"/>) and checks it against its architecture.</summary>
    public static SaeDictionary ReadParquet(string path)
    {
        var stored = DictionaryParquet.Read(path);
        var architecture = SaeArchitecture.Get(stored.Architecture, $"{path}: metadata '{DictionaryParquet.ArchitectureKey}'");
        var dictionary = new SaeDictionary(architecture, stored.DIn, stored.DSae, stored.K, stored.WEnc, stored.WDec, stored.BEnc, stored.BDec,
            architecture.HasThreshold ? stored.Threshold : null, stored.Density, stored.Metadata);
        dictionary.Validate(path);
        return dictionary;
    }

    /// <summary>Writes this dictionary as Parquet (<see cref="DictionaryParquet"/>).</summary>
    public void WriteParquet(string path) =>
        DictionaryParquet.Write(path, new DictionaryWeights(Architecture.Name, DIn, DSae, K, WEnc, WDec, BEnc, BDec, Threshold, Density, SubtractsDecoderBias, Metadata));

    /// <summary>The model this dictionary describes on <paramref name="device"/> (default the CPU), ready to encode activations as they are on disk.</summary>
    public SparseAutoencoder ToModel(Device? device = null)
    {
        using var scope = NewDisposeScope();
        return Architecture.Build(Architecture.Shaped(DSae, K), DIn, new SaeTensors(
            tensor(WEnc).reshape(DIn, DSae), tensor(WDec).reshape(DSae, DIn), tensor(BEnc), tensor(BDec),
            HasThreshold ? tensor(Threshold!) : null).To(device ?? CPU));
    }

    /// <summary>
    /// The dictionary of a model trained on inputs multiplied by <paramref name="inputScale"/>: the scale is
    /// folded into W_enc, W_dec and b_dec (SAELens fold_activation_norm_scaling_factor), so codes are unchanged.
    /// </summary>
    public static SaeDictionary FromModel(SparseAutoencoder model, double inputScale, float[]? density, IReadOnlyDictionary<string, string>? metadata = null)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        float[] Values(Tensor t) => t.detach().cpu().contiguous().data<float>().ToArray();
        var (wEnc, bEnc) = model.InferenceEncoder();
        return new SaeDictionary(
            model.Config.Architecture, model.DIn, model.DSae, (model.Config as IKSparseConfig)?.K ?? 0,
            Values(wEnc * inputScale), Values(model.WDec / inputScale), Values(bEnc), Values(model.BDec / inputScale),
            model.Threshold is { } threshold ? Values(threshold) : null,
            density,
            metadata ?? new Dictionary<string, string>());
    }

    private static void Length(float[] values, long expected, string name, string shape, string source) =>
        InvalidInputException.Require(values.LongLength == expected,
            $"{source}: '{name}' has {values.LongLength} values; expected shape {shape} ({expected} values).");
}
