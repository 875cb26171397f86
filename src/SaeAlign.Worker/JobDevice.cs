using System.Text.Json.Nodes;
using SaeAlign.Core;
using SaeAlign.Torch;
using static SaeAlign.Core.InputField;

namespace SaeAlign.Worker;

/// <summary>
/// The <c>device</c> field any job spec may carry. It says where a job's tensors live, not what the job computes, so it
/// stays out of the spec's hash: a job run on a GPU and the same job run on the CPU share one output folder.
/// </summary>
public static class JobDevice
{
    public const string Field = "device";

    /// <summary>Removes <c>device</c> from <paramref name="fields"/> and returns it (null when absent); a value that is no device's spelling is bad input.</summary>
    public static string? Take(JsonObject fields)
    {
        if (!fields.TryGetPropertyValue(Field, out var node)) return null;
        fields.Remove(Field);
        string? device = node is JsonValue value && value.TryGetValue(out string? text) ? text : null;
        InvalidInputException.Require(device is not null && ComputeDevice.IsSpelling(device),
            $"{Named(Field)} must be {ComputeDevice.Spellings}, got {node?.ToJsonString() ?? "null"}.");
        return device!.Trim().ToLowerInvariant();
    }

    /// <summary><paramref name="spec"/> with <c>device</c> set (as queued), or the spec itself when there is none.</summary>
    public static JsonObject With(JsonObject spec, string? device)
    {
        if (device is null) return spec;
        var copy = (JsonObject)spec.DeepClone();
        copy[Field] = device;
        return copy;
    }

    /// <summary>
    /// Where a job runs: the spec's device, except that a spec naming none, <c>auto</c> or plain <c>cuda</c> runs on the
    /// worker's own device, so a worker pinned to a GPU (<c>--device cuda:1</c>) keeps its jobs there.
    /// </summary>
    public static string Effective(string? job, string worker) =>
        job is null or ComputeDevice.Auto || job == "cuda" && worker.StartsWith("cuda", StringComparison.Ordinal) ? worker : job;
}
