using SaeAlign.Data;

namespace SaeAlign.Alignment;

/// <summary>How <see cref="AlignmentRunner"/> computes: which metrics, the CV protocol and the sampling of row-wise metrics.</summary>
public sealed record AlignmentOptions
{
    public IReadOnlyList<string> Metrics { get; init; } = AlignmentMetric.Defaults;
    public CrossValidation Cv { get; init; } = CrossValidation.Default;
    /// <summary>RSA and mknn use at most this many stimuli, a seeded sample (their cost grows with the square of it).</summary>
    public int Stimuli { get; init; } = 10_000;
    /// <summary>Seed of the stimulus sample.</summary>
    public long Seed { get; init; }
    /// <summary>Neighbours per stimulus for mknn.</summary>
    public int K { get; init; } = MutualKnn.DefaultK;
    /// <summary>Odd-one-out judgements for the triplet metric (row indices).</summary>
    public IReadOnlyList<Triplet>? Triplets { get; init; }
    /// <summary>Bytes a run may use; null: 80% of the memory this process may have (the machine's, or its container limit).</summary>
    public long? MemoryLimit { get; init; }

    public long ResolvedMemoryLimit => MemoryLimit ?? (long)(0.8 * GC.GetGCMemoryInfo().TotalAvailableMemoryBytes);
}
