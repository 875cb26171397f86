using System.Text.Json;
using System.Text.Json.Nodes;
using SaeAlign.Core;
using SaeAlign.Data;

namespace SaeAlign.Sae;

/// <summary>
/// EleutherAI sparsify folders: <c>cfg.json</c> (k, d_in, ...) + <c>sae.safetensors</c> with <c>encoder.weight</c>
/// [d_sae, d_in], <c>encoder.bias</c> [d_sae], <c>W_dec</c> [d_sae, d_in] and <c>b_dec</c> [d_in]. Codes are the k largest of
/// ReLU((x - b_dec) encoder.weightᵀ + encoder.bias) per row, with no input normalisation: a topk SAE. Skip connections
/// (<c>W_skip</c>), transcoders and activations other than topk have no dictionary form and are refused.
/// </summary>
public static class SparsifyFolder
{
    public const string ConfigFile = "cfg.json";
    public const string WeightsFile = "sae.safetensors";

    /// <summary>Whether <paramref name="folder"/> holds a sparsify SAE's files.</summary>
    public static bool Holds(string folder) => File.Exists(Path.Combine(folder, ConfigFile)) && File.Exists(Path.Combine(folder, WeightsFile));

    /// <summary>Writes a per-row top-k dictionary; any other is bad input naming what the folder could not hold.</summary>
    public static void Write(string folder, SaeDictionary dictionary)
    {
        RequireHolds(dictionary);
        int dIn = dictionary.DIn, dSae = dictionary.DSae;
        var bias = dictionary.SubtractsDecoderBias ? dictionary.BEnc : SaeLensFolder.FoldDecoderBias(dictionary.WEnc, dictionary.BEnc, dictionary.BDec, dIn, dSae);
        Directory.CreateDirectory(folder);
        Safetensors.Write(Path.Combine(folder, WeightsFile),
        [
            ("encoder.weight", new SafeTensor([dSae, dIn], Transposed(dictionary.WEnc, dIn, dSae))),
            ("encoder.bias", new SafeTensor([dSae], bias)),
            ("W_dec", new SafeTensor([dSae, dIn], dictionary.WDec)),
            ("b_dec", new SafeTensor([dIn], dictionary.BDec)),
        ]);
        var config = new JsonObject
        {
            ["activation"] = "topk",
            ["expansion_factor"] = Math.Max(1, dSae / dIn),
            ["normalize_decoder"] = true,
            ["num_latents"] = dSae,
            ["k"] = dictionary.K,
            ["multi_topk"] = false,
            ["skip_connection"] = false,
            ["transcode"] = false,
            ["d_in"] = dIn,
        };
        AtomicFile.WriteAllText(Path.Combine(folder, ConfigFile), config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>Refuses, naming what would be lost, a dictionary a sparsify folder cannot hold.</summary>
    public static void RequireHolds(SaeDictionary dictionary) =>
        InvalidInputException.Require(dictionary.Architecture.KeepsTopKPerRow,
            $"a {dictionary.Architecture.Name} SAE cannot be written as a sparsify folder, which holds per-row top-k SAEs only (its {(dictionary.HasThreshold ? "threshold" : "activation")} would be lost).");

    /// <summary>Reads a sparsify folder as a topk dictionary; anything it cannot hold is bad input naming the file.</summary>
    public static SaeDictionary Read(string folder)
    {
        string configPath = Path.Combine(folder, ConfigFile), weightsPath = Path.Combine(folder, WeightsFile);
        var config = SaeLensFolder.ReadConfig(configPath);
        int dIn = SaeLensFolder.Int(config, "d_in", configPath), k = SaeLensFolder.Int(config, "k", configPath);
        string activation = config["activation"] is JsonValue a && a.TryGetValue<string>(out var name) ? name : "topk";
        InvalidInputException.Require(activation == "topk", $"{configPath}: activation '{activation}' is not supported; SaeAlign reads sparsify's topk SAEs.");
        InvalidInputException.Require(config["transcode"] is not JsonValue t || !t.TryGetValue<bool>(out var transcode) || !transcode,
            $"{configPath}: a transcoder maps one layer to another; SaeAlign reads sparsify's autoencoders.");

        var (tensors, _) = Safetensors.Read(weightsPath);
        SafeTensor Get(string tensor) => tensors.TryGetValue(tensor, out var value) ? value : throw new InvalidInputException($"{weightsPath}: no tensor '{tensor}'.");
        InvalidInputException.Require(!tensors.ContainsKey("W_skip"),
            $"{weightsPath}: the SAE has a skip connection (W_skip), which SaeAlign's dictionaries cannot hold.");
        var encoder = Get("encoder.weight");
        InvalidInputException.Require(encoder.Shape is [_, var columns] && columns == dIn,
            $"{weightsPath}: 'encoder.weight' has shape [{string.Join(", ", encoder.Shape)}]; cfg.json's d_in needs [d_sae, {dIn}].");
        int dSae = (int)encoder.Shape[0];
        var dictionary = new SaeDictionary(SaeArchitecture.TopK, dIn, dSae, k, Transposed(encoder.Values, dSae, dIn), Get("W_dec").Values,
            Get("encoder.bias").Values, Get("b_dec").Values, null, null, new Dictionary<string, string>());
        dictionary.Validate(weightsPath);
        return dictionary;
    }

    /// <summary>[rows, columns] row-major as [columns, rows] row-major.</summary>
    internal static float[] Transposed(float[] values, int rows, int columns)
    {
        var transposed = new float[values.LongLength];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < columns; c++) transposed[(long)c * rows + r] = values[(long)r * columns + c];
        return transposed;
    }
}
