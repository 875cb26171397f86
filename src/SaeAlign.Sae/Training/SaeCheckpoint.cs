using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using SaeAlign.Core;
using SaeAlign.Data;
using static TorchSharp.torch;
using static SaeAlign.Core.InputField;

namespace SaeAlign.Sae;

/// <summary>
/// The complete state of a training run after a step, as one safetensors file: the model's parameters and
/// buffers, AdamW's moments, the steps since each latent fired, and (metadata) the step, config, input
/// scale, data fingerprint and metrics so far. The data order is a function of the seed and the epoch,
/// so nothing else is needed to continue exactly.
/// </summary>
internal sealed class SaeCheckpoint
{
    private const string StepKey = "saealign.step", ConfigKey = "saealign.config", ScaleKey = "saealign.input_scale",
        DataKey = "saealign.data_sha256", DInKey = "saealign.d_in", CurveKey = "saealign.curve";
    /// <summary>The dead-latent counters' name, as both engines write them.</summary>
    public const string SinceFired = Kernels.TopKEngine.SinceFiredName;

    private readonly IReadOnlyDictionary<string, SafeTensor> tensors;
    private readonly string path;

    private SaeCheckpoint(string path, IReadOnlyDictionary<string, SafeTensor> tensors, int step, double inputScale, IReadOnlyList<SaeMetricsPoint> curve)
    {
        this.path = path;
        this.tensors = tensors;
        Step = step;
        InputScale = inputScale;
        Curve = curve;
    }

    public int Step { get; }
    public double InputScale { get; }
    public IReadOnlyList<SaeMetricsPoint> Curve { get; }

    public static void Write(string path, SaeConfig config, int step, double inputScale, string fingerprint, int dIn,
        IEnumerable<(string Name, SafeTensor Tensor)> state, IReadOnlyList<SaeMetricsPoint> curve) =>
        Safetensors.Write(path, state.ToArray(), new Dictionary<string, string>
        {
            [StepKey] = step.ToString(CultureInfo.InvariantCulture),
            [ConfigKey] = JsonSerializer.Serialize(config, SaeConfig.Json),
            [ScaleKey] = inputScale.ToString("R", CultureInfo.InvariantCulture),
            [DataKey] = fingerprint,
            [DInKey] = dIn.ToString(CultureInfo.InvariantCulture),
            [CurveKey] = JsonSerializer.Serialize(curve),
        });

    /// <summary>Reads a checkpoint for a run with <paramref name="config"/>; a different config or different data is bad input naming what differs.</summary>
    public static SaeCheckpoint Read(string path, SaeConfig config, int dIn, string fingerprint)
    {
        if (!File.Exists(path)) throw new InvalidInputException($"{Named("resume")}: no checkpoint at {path}.");
        var (tensors, metadata) = Safetensors.Read(path);
        string Meta(string key) => metadata.TryGetValue(key, out var v) ? v : throw new InvalidInputException($"{path}: not a SaeAlign checkpoint (no '{key}').");
        var saved = Normalized(JsonNode.Parse(Meta(ConfigKey))!.AsObject());
        var current = JsonSerializer.SerializeToNode(config, SaeConfig.Json)!.AsObject();
        var differing = current.Select(kv => kv.Key).Union(saved.Select(kv => kv.Key))
            .Where(key => !JsonNode.DeepEquals(current[key], saved[key])).ToArray();
        if (differing.Length > 0)
            throw new InvalidInputException(
                $"{Named("resume")}: the checkpoint {path} was made with a different config ({string.Join(", ", differing.Select(k => $"{k}: {saved[k]?.ToJsonString() ?? "absent"} in the checkpoint, {current[k]?.ToJsonString() ?? "absent"} now"))}).");
        InvalidInputException.Require(Meta(DInKey) == dIn.ToString(CultureInfo.InvariantCulture) && Meta(DataKey) == fingerprint,
            $"{Named("resume")}: the checkpoint {path} was made on different activations (d_in or training rows differ).");
        var curve = JsonSerializer.Deserialize<SaeMetricsPoint[]>(Meta(CurveKey)) ?? [];
        return new SaeCheckpoint(path, tensors,
            int.Parse(Meta(StepKey), CultureInfo.InvariantCulture),
            double.Parse(Meta(ScaleKey), CultureInfo.InvariantCulture), curve);
    }

    /// <summary>A saved config as this version writes it, so one written by an earlier version compares by its values; as saved when it does not read.</summary>
    private static JsonObject Normalized(JsonObject saved)
    {
        try
        {
            return SaeConfigFields.Write(SaeConfigFields.Read(saved, earlier: true));
        }
        catch (InvalidInputException)
        {
            return saved;
        }
    }

    /// <summary>The saved values of tensor <paramref name="name"/>, which must have <paramref name="shape"/>.</summary>
    public float[] Values(string name, long[] shape)
    {
        var saved = tensors.TryGetValue(name, out var t) ? t : throw new InvalidInputException($"{path}: the checkpoint has no tensor '{name}'.");
        InvalidInputException.Require(saved.Shape.SequenceEqual(shape),
            $"{path}: tensor '{name}' has shape [{string.Join(", ", saved.Shape)}], expected [{string.Join(", ", shape)}].");
        return saved.Values;
    }
}
