using System.Text.Json.Nodes;

namespace SaeAlign.Data;

/// <summary>
/// What a run records about itself (README, "File formats": config, seeds, versions, timings). Everything but
/// <paramref name="Timings"/> goes into manifest.json, which is therefore identical for identical
/// runs; timings (seconds per phase) go to timings.json.
/// </summary>
public sealed record RunManifest(
    string Kind,
    JsonNode? Config,
    IReadOnlyList<long> Seeds,
    IReadOnlyDictionary<string, string> Versions,
    IReadOnlyDictionary<string, double> Timings);
