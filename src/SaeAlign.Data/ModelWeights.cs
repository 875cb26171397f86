namespace SaeAlign.Data;

/// <summary>
/// A toy model's weights, one row per feature: <paramref name="W"/> is row-major
/// <paramref name="Features"/> x <paramref name="Neurons"/> (feature i's embedding is row i),
/// <paramref name="Bias"/> and <paramref name="Importance"/> have one entry per feature.
/// <paramref name="Metadata"/> carries the caller's descriptors (seed, model kind, ...).
/// </summary>
public sealed record ModelWeights(
    int Features,
    int Neurons,
    float[] W,
    float[] Bias,
    float[] Importance,
    IReadOnlyDictionary<string, string> Metadata);
