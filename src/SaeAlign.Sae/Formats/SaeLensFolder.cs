using System.Text.Json;
using System.Text.Json.Nodes;
using SaeAlign.Core;
using SaeAlign.Data;

namespace SaeAlign.Sae;

/// <summary>
/// SAELens v6 folders: <c>cfg.json</c> + <c>sae_weights.safetensors</c> with W_enc [d_in, d_sae],
/// W_dec [d_sae, d_in], b_enc, b_dec and, for architectures with one, threshold. Each architecture's
/// descriptor says which SAELens architecture it is (<see cref="SaeArchitecture.SaeLensNames"/>) and adds its
/// own fields; metadata.saealign_architecture records the SaeAlign architecture so a round trip gives it back.
/// </summary>
public static class SaeLensFolder
{
    public const string ConfigFile = "cfg.json";
    public const string WeightsFile = "sae_weights.safetensors";
    private const string ArchitectureKey = "saealign_architecture";

    public static void Write(string folder, SaeDictionary dictionary)
    {
        Directory.CreateDirectory(folder);
        var tensors = dictionary.Architecture.WriteSaeLensEncoder(dictionary).Concat(
        [
            ("W_dec", new SafeTensor([dictionary.DSae, dictionary.DIn], dictionary.WDec)),
            ("b_dec", new SafeTensor([dictionary.DIn], dictionary.BDec)),
        ]);
        Safetensors.Write(Path.Combine(folder, WeightsFile), [.. tensors]);

        var config = new JsonObject
        {
            ["architecture"] = dictionary.Architecture.SaeLensNames[0],
            ["d_in"] = dictionary.DIn,
            ["d_sae"] = dictionary.DSae,
            ["dtype"] = "float32",
            ["device"] = "cpu",
            ["apply_b_dec_to_input"] = dictionary.SubtractsDecoderBias,
            ["normalize_activations"] = "none",
            ["reshape_activations"] = "none",
        };
        var metadata = new JsonObject { [ArchitectureKey] = dictionary.Architecture.Name };
        dictionary.Architecture.WriteSaeLens(dictionary, config, metadata);
        config["metadata"] = metadata;
        AtomicFile.WriteAllText(Path.Combine(folder, ConfigFile), config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>Reads a SAELens folder; matrices stored the other way round (by their shapes) are transposed.</summary>
    public static SaeDictionary Read(string folder)
    {
        string configPath = Path.Combine(folder, ConfigFile);
        if (!File.Exists(configPath)) throw new InvalidInputException($"{folder}: no {ConfigFile}; not a SAELens folder.");
        var config = ReadConfig(configPath);
        int dIn = Int(config, "d_in", configPath), dSae = Int(config, "d_sae", configPath);
        // SAELens configs from before the architecture field are all "standard" SAEs.
        string architecture = Text(config, "architecture", configPath) ?? "standard";
        double inputScale = InputScale(config, configPath);
        bool subtract = Bool(config, "apply_b_dec_to_input", configPath) ?? true;
        bool rescale = Bool(config, "rescale_acts_by_decoder_norm", configPath) ?? false;
        string? own = (config["metadata"] as JsonObject)?[ArchitectureKey] is JsonValue a && a.TryGetValue<string>(out var s) ? s : null;
        var kind = Architecture(architecture, own, subtract, configPath);
        int k = kind.ReadSaeLensK(new SaeLensConfig(config, configPath));

        string weightsPath = Path.Combine(folder, WeightsFile);
        var tensors = new SaeLensTensors(Safetensors.Read(weightsPath).Tensors, weightsPath, dIn, dSae);
        var (wEnc, bEnc, threshold) = kind.ReadSaeLensEncoder(tensors);
        var wDec = tensors.Matrix("W_dec", dSae, dIn);
        var bDec = tensors.Get("b_dec");
        if (!subtract && kind.SubtractsDecoderBias && bEnc.Length == dSae && bDec.Length == dIn)
            bEnc = FoldDecoderBias(wEnc, bEnc, bDec, dIn, dSae);
        if (rescale && wDec.LongLength == (long)dSae * dIn && bEnc.Length == dSae) FoldDecoderNorms(wEnc, bEnc, wDec, dIn, dSae);
        if (inputScale != 1) FoldInputScale(wEnc, wDec, bDec, inputScale);
        var dictionary = new SaeDictionary(kind, dIn, dSae, k, wEnc, wDec, bEnc, bDec, threshold, null, new Dictionary<string, string>());
        dictionary.Validate(weightsPath);
        return dictionary;
    }

    /// <summary>
    /// The architecture that reads a folder of SAELens architecture <paramref name="saeLens"/>: of those that
    /// take it, the one SaeAlign's metadata recorded (<paramref name="recorded"/>), else the first.
    /// </summary>
    private static SaeArchitecture Architecture(string saeLens, string? recorded, bool subtract, string configPath)
    {
        var readers = SaeArchitecture.All.Where(a => a.SaeLensNames.Contains(saeLens) && a.ReadsSaeLens(saeLens, recorded, subtract)).ToList();
        if (readers.Count > 0) return readers.FirstOrDefault(a => a.Name == recorded) ?? readers[0];
        var supported = SaeArchitecture.All.SelectMany(a => a.SaeLensNames).Distinct().ToList();
        throw new InvalidInputException(
            $"{configPath}: architecture '{saeLens}' is not supported; SaeAlign reads {string.Join(", ", supported[..^1])} and {supported[^1]}.");
    }

    /// <summary>
    /// The factor SAELens multiplies activations by before the SAE: 1 for normalize_activations "none"; for
    /// "expected_average_only_in" the norm_scaling_factor SAELens keeps in its release table, which cfg.json must then hold.
    /// </summary>
    private static double InputScale(JsonObject config, string path)
    {
        string normalisation = Text(config, "normalize_activations", path) ?? "none";
        if (normalisation == "none") return 1;
        InvalidInputException.Require(normalisation == "expected_average_only_in",
            $"{path}: normalize_activations is '{normalisation}'; SaeAlign reads 'none' and 'expected_average_only_in' (with its norm_scaling_factor).");
        return config["norm_scaling_factor"] is JsonValue v && v.TryGetValue<double>(out var factor) && factor > 0 && double.IsFinite(factor) ? factor
            : throw new InvalidInputException(
                $"{path}: normalize_activations is 'expected_average_only_in' but cfg.json has no positive norm_scaling_factor; add the factor SAELens lists for this SAE (its release table) as \"norm_scaling_factor\".");
    }

    /// <summary>
    /// SAELens' rescale_acts_by_decoder_norm (codes of pre ⊙ ||W_dec,i||, decoded through W_dec,i / ||W_dec,i||), folded as
    /// its fold_W_dec_norm does: W_enc's columns and b_enc times the norms, W_dec's rows divided by them. The codes are unchanged.
    /// </summary>
    private static void FoldDecoderNorms(float[] wEnc, float[] bEnc, float[] wDec, int dIn, int dSae)
    {
        for (int i = 0; i < dSae; i++)
        {
            double squares = 0;
            for (int j = 0; j < dIn; j++) squares += (double)wDec[(long)i * dIn + j] * wDec[(long)i * dIn + j];
            float norm = (float)Math.Sqrt(squares);
            if (norm == 0) continue;
            for (int j = 0; j < dIn; j++)
            {
                wDec[(long)i * dIn + j] /= norm;
                wEnc[(long)j * dSae + i] *= norm;
            }
            bEnc[i] *= norm;
        }
    }

    /// <summary>SAELens' fold_activation_norm_scaling_factor: W_enc times s, W_dec and b_dec over s, so the SAE takes activations as they are.</summary>
    private static void FoldInputScale(float[] wEnc, float[] wDec, float[] bDec, double scale)
    {
        for (long i = 0; i < wEnc.LongLength; i++) wEnc[i] = (float)(wEnc[i] * scale);
        for (long i = 0; i < wDec.LongLength; i++) wDec[i] = (float)(wDec[i] / scale);
        for (int i = 0; i < bDec.Length; i++) bDec[i] = (float)(bDec[i] / scale);
    }

    /// <summary>x W + b_enc = (x - b_dec) W + (b_enc + b_dec W): an SAE that does not centre its input becomes one that does.</summary>
    internal static float[] FoldDecoderBias(float[] wEnc, float[] bEnc, float[] bDec, int dIn, int dSae)
    {
        var folded = new double[dSae];
        for (int i = 0; i < dSae; i++) folded[i] = bEnc[i];
        for (int j = 0; j < dIn; j++)
            for (int i = 0; i < dSae; i++) folded[i] += (double)bDec[j] * wEnc[(long)j * dSae + i];
        return Array.ConvertAll(folded, v => (float)v);
    }

    /// <summary>A cfg.json as a JSON object; anything else is bad input naming the file.</summary>
    internal static JsonObject ReadConfig(string configPath)
    {
        try
        {
            return JsonNode.Parse(File.ReadAllText(configPath)) as JsonObject
                ?? throw new InvalidInputException($"{configPath}: malformed cfg.json: not a JSON object.");
        }
        catch (JsonException e)
        {
            throw new InvalidInputException($"{configPath}: malformed cfg.json ({e.Message}).", e);
        }
    }

    internal static int Int(JsonObject config, string key, string path) =>
        config[key] is JsonValue v && v.TryGetValue<int>(out var i) ? i
        : config[key] is JsonValue d && d.TryGetValue<double>(out var x) && x == Math.Floor(x) && x is >= 0 and <= int.MaxValue ? (int)x
        : throw new InvalidInputException($"{path}: malformed cfg.json: '{key}' is missing or not an integer.");

    private static bool? Bool(JsonObject config, string key, string path) =>
        config[key] is null ? null
        : config[key] is JsonValue v && v.TryGetValue<bool>(out var b) ? b
        : throw new InvalidInputException($"{path}: malformed cfg.json: {key} is not a boolean.");

    private static string? Text(JsonObject config, string key, string path) =>
        config[key] is null ? null
        : config[key] is JsonValue v && v.TryGetValue<string>(out var s) ? s
        : throw new InvalidInputException($"{path}: malformed cfg.json: '{key}' is not a string.");
}

/// <summary>A cfg.json being read, for the fields an architecture's descriptor reads itself; a malformed one names the file.</summary>
public sealed class SaeLensConfig
{
    private readonly JsonObject config;
    private readonly string path;

    internal SaeLensConfig(JsonObject config, string path) => (this.config, this.path) = (config, path);

    /// <summary>The integer <paramref name="key"/>; missing or malformed is bad input.</summary>
    public int Int(string key) => SaeLensFolder.Int(config, key, path);

    /// <summary>The integer <paramref name="key"/>, or null when cfg.json does not have it.</summary>
    public int? OptionalInt(string key) => config[key] is null ? null : Int(key);

    /// <summary>The integer <paramref name="key"/> of cfg.json's metadata object, or null when it is absent.</summary>
    public int? OptionalMetadataInt(string key) =>
        config["metadata"] is JsonObject metadata && metadata[key] is not null ? SaeLensFolder.Int(metadata, key, path) : null;
}

/// <summary>The encoder as a dictionary holds it: W_enc row-major [d_in, d_sae], b_enc, and the threshold (null without one).</summary>
public sealed record SaeLensEncoder(float[] WEnc, float[] BEnc, float[]? Threshold);

/// <summary>A SAELens weights file being read, for the tensors an architecture's descriptor reads itself; what is missing names the file.</summary>
public sealed class SaeLensTensors
{
    private readonly IReadOnlyDictionary<string, SafeTensor> tensors;
    private readonly string path;
    private readonly int dIn, dSae;

    internal SaeLensTensors(IReadOnlyDictionary<string, SafeTensor> tensors, string path, int dIn, int dSae) =>
        (this.tensors, this.path, this.dIn, this.dSae) = (tensors, path, dIn, dSae);

    /// <summary>The values of <paramref name="name"/>; a missing tensor is bad input.</summary>
    public float[] Get(string name) => Find(name) ?? throw new InvalidInputException($"{path}: no tensor '{name}'.");

    /// <summary>The values of <paramref name="name"/>, or null when the file does not have it.</summary>
    public float[]? Find(string name) => tensors.TryGetValue(name, out var tensor) ? tensor.Values : null;

    /// <summary>A per-latent vector: <paramref name="name"/> with exactly d_sae values.</summary>
    public float[] Latents(string name) => Get(name) is var values && values.Length == dSae ? values
        : throw new InvalidInputException($"{path}: '{name}' has {values.Length} values; cfg.json's d_sae needs {dSae}.");

    /// <summary>An encoder matrix as row-major [d_in, d_sae], however the file orients it.</summary>
    public float[] Matrix(string name) => Matrix(name, dIn, dSae);

    internal float[] Matrix(string name, int rows, int columns) =>
        Oriented(tensors.TryGetValue(name, out var tensor) ? tensor : throw new InvalidInputException($"{path}: no tensor '{name}'."), rows, columns, name, path);

    /// <summary>The values as row-major [rows, columns]; a tensor stored as [columns, rows] is transposed.</summary>
    private static float[] Oriented(SafeTensor tensor, int rows, int columns, string name, string path)
    {
        if (tensor.Shape is [var r, var c] && r == rows && c == columns) return tensor.Values;
        if (tensor.Shape is [var r2, var c2] && r2 == columns && c2 == rows) return SparsifyFolder.Transposed(tensor.Values, columns, rows);
        throw new InvalidInputException($"{path}: '{name}' has shape [{string.Join(", ", tensor.Shape)}]; cfg.json's d_in and d_sae need [{rows}, {columns}].");
    }

}
