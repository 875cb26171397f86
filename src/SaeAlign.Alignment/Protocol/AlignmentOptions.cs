using SaeAlign.Core;
using SaeAlign.Data;
using static SaeAlign.Core.InputField;

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
    private const int MaxReplicates = 100_000;
    /// <summary>Odd-one-out judgements for the triplet metric (row indices).</summary>
    public IReadOnlyList<Triplet>? Triplets { get; init; }
    /// <summary>Bytes a run may use; null: 80% of the memory this process may have (the machine's, or its container limit).</summary>
    public long? MemoryLimit { get; init; }

    /// <summary>Permutation-null replicates per score (<see cref="Calibration"/>); 0: none.</summary>
    public int NullPermutations { get; init; }
    /// <summary>Bootstrap replicates per score; 0: none.</summary>
    public int Bootstrap { get; init; }
    /// <summary>Where the dense route's moment pass runs (its GEMMs); null: the CPU. The metrics' solvers and the sparse route run on the CPU.</summary>
    public TorchSharp.torch.Device? Device { get; init; }

    public long ResolvedMemoryLimit => MemoryLimit ?? (long)(0.8 * GC.GetGCMemoryInfo().TotalAvailableMemoryBytes);

    /// <summary>Throws <see cref="InvalidInputException"/> naming the first field that cannot work with any data.</summary>
    public void Validate()
    {
        InvalidInputException.Require(Metrics.Count > 0, $"{Named("metrics")} must name at least one metric.");
        if (Metrics.Contains(AlignmentMetric.Triplet))
            InvalidInputException.Require(Triplets is { Count: > 0 }, $"the triplet metric needs a triplet file ({Named("triplets")} FILE).");
        InvalidInputException.Require(Stimuli >= 3, $"{Named("stimuli")} must be at least 3, got {Stimuli}.");
        InvalidInputException.Require(Seed >= 0, $"{Named("seed")} must be zero or positive, got {Seed}.");
        InvalidInputException.Require(K >= 1, $"{Named("k")} must be at least 1, got {K}.");
        InvalidInputException.Require(NullPermutations is >= 0 and <= MaxReplicates, $"{Named("nullPermutations")} must be in 0..{MaxReplicates}, got {NullPermutations}.");
        InvalidInputException.Require(Bootstrap is >= 0 and <= MaxReplicates, $"{Named("bootstrap")} must be in 0..{MaxReplicates}, got {Bootstrap}.");
    }
}
