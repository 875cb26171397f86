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
        var tensors = new List<(string, SafeTensor)>
        {
            ("W_enc", new SafeTensor([dictionary.DIn, dictionary.DSae], dictionary.WEnc)),
            ("W_dec", new SafeTensor([dictionary.DSae, dictionary.DIn], dictionary.WDec)),
            ("b_enc", new SafeTensor([dictionary.DSae], dictionary.BEnc)),
            ("b_dec", new SafeTensor([dictionary.DIn], dictionary.BDec)),
        };
        if (dictionary.HasThreshold) tensors.Add(("threshold", new SafeTensor([dictionary.DSae], dictionary.Threshold!)));
        Safetensors.Write(Path.Combine(folder, WeightsFile), tensors);

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
        JsonObject config;
        try
        {
            config = JsonNode.Parse(File.ReadAllText(configPath)) as JsonObject
                ?? throw new InvalidInputException($"{configPath}: malformed cfg.json: not a JSON object.");
        }
        catch (JsonException e)
        {
            throw new InvalidInputException($"{configPath}: malformed cfg.json ({e.Message}).", e);
        }
        int dIn = Int(config, "d_in", configPath), dSae = Int(config, "d_sae", configPath);
        // SAELens configs from before the architecture field are all "standard" SAEs.
        string architecture = Text(config, "architecture", configPath) ?? "standard";
        string normalisation = Text(config, "normalize_activations", configPath) ?? "none";
        InvalidInputException.Require(normalisation == "none",
            $"{configPath}: normalize_activations is '{normalisation}'; fold the scaling into the weights first (SAELens fold_activation_norm_scaling_factor).");
        bool subtract = config["apply_b_dec_to_input"] is not JsonValue v || (v.TryGetValue<bool>(out var b) ? b
            : throw new InvalidInputException($"{configPath}: malformed cfg.json: apply_b_dec_to_input is not a boolean."));
        string? own = (config["metadata"] as JsonObject)?[ArchitectureKey] is JsonValue a && a.TryGetValue<string>(out var s) ? s : null;
        var kind = Architecture(architecture, own, subtract, configPath);
        int k = kind.ReadSaeLensK(new SaeLensConfig(config, configPath));

        string weightsPath = Path.Combine(folder, WeightsFile);
        var (tensors, _) = Safetensors.Read(weightsPath);
        SafeTensor Get(string name) => tensors.TryGetValue(name, out var t) ? t
            : throw new InvalidInputException($"{weightsPath}: no tensor '{name}'.");
        var wEnc = Oriented(Get("W_enc"), dIn, dSae, "W_enc", weightsPath);
        var wDec = Oriented(Get("W_dec"), dSae, dIn, "W_dec", weightsPath);
        var bEnc = Get("b_enc").Values;
        var bDec = Get("b_dec").Values;
        float[]? threshold = kind.HasThreshold ? Get("threshold").Values : null;
        if (!subtract && kind.SubtractsDecoderBias && bEnc.Length == dSae && bDec.Length == dIn)
            bEnc = FoldDecoderBias(wEnc, bEnc, bDec, dIn, dSae);
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

    /// <summary>x W + b_enc = (x - b_dec) W + (b_enc + b_dec W): an SAE that does not centre its input becomes one that does.</summary>
    private static float[] FoldDecoderBias(float[] wEnc, float[] bEnc, float[] bDec, int dIn, int dSae)
    {
        var folded = new double[dSae];
        for (int i = 0; i < dSae; i++) folded[i] = bEnc[i];
        for (int j = 0; j < dIn; j++)
            for (int i = 0; i < dSae; i++) folded[i] += (double)bDec[j] * wEnc[(long)j * dSae + i];
        return Array.ConvertAll(folded, v => (float)v);
    }

    /// <summary>The values as row-major [rows, columns]; a tensor stored as [columns, rows] is transposed.</summary>
    private static float[] Oriented(SafeTensor tensor, int rows, int columns, string name, string path)
    {
        if (tensor.Shape is [var r, var c] && r == rows && c == columns) return tensor.Values;
        if (tensor.Shape is [var r2, var c2] && r2 == columns && c2 == rows)
        {
            var transposed = new float[tensor.Values.Length];
            for (int i = 0; i < columns; i++)
                for (int j = 0; j < rows; j++) transposed[(long)j * columns + i] = tensor.Values[(long)i * rows + j];
            return transposed;
        }
        throw new InvalidInputException($"{path}: '{name}' has shape [{string.Join(", ", tensor.Shape)}]; cfg.json's d_in and d_sae need [{rows}, {columns}].");
    }

    internal static int Int(JsonObject config, string key, string path) =>
        config[key] is JsonValue v && v.TryGetValue<int>(out var i) ? i
        : config[key] is JsonValue d && d.TryGetValue<double>(out var x) && x == Math.Floor(x) && x is >= 0 and <= int.MaxValue ? (int)x
        : throw new InvalidInputException($"{path}: malformed cfg.json: '{key}' is missing or not an integer.");

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
