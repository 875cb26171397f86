namespace SaeAlign.Pipelines;

/// <summary>How <see cref="SaeComparison"/> compares two dictionaries.</summary>
public sealed record SaeComparisonOptions
{
    /// <summary>A matched pair whose cosine is at least this is a shared latent (Paulo &amp; Belrose 2025 use 0.7).</summary>
    public double Threshold { get; init; } = 0.7;

    /// <summary>Seed of the random baseline dictionary.</summary>
    public long Seed { get; init; }

    /// <summary>Where activations are encoded for code matching; null: the CPU.</summary>
    public TorchSharp.torch.Device? Device { get; init; }
}
