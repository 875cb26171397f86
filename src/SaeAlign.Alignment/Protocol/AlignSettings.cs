using SaeAlign.Data;
using static SaeAlign.Core.InputField;

namespace SaeAlign.Alignment;

/// <summary>
/// The choices of <c>saealign align</c> as a user gives them, one property per option; null means the default. The CLI
/// and the worker's <c>align</c> job both turn them into <see cref="AlignmentOptions"/> here, so an option means the
/// same in both.
/// </summary>
public record AlignSettings
{
    /// <summary>Metric names; null: <see cref="AlignmentMetric.Defaults"/> (and triplet when judgements are given).</summary>
    public IReadOnlyList<string>? Metrics { get; init; }
    /// <summary><c>none</c> or <c>kfold:K:SEED</c>.</summary>
    public string? Cv { get; init; }
    public int? Stimuli { get; init; }
    public long? Seed { get; init; }
    public int? K { get; init; }
    /// <summary>Permutation-null replicates; null: <see cref="Calibration.DefaultPermutations"/>.</summary>
    public int? NullPermutations { get; init; }
    /// <summary>Bootstrap replicates; null: none.</summary>
    public int? Bootstrap { get; init; }

    /// <summary>The options these settings give, validated; <paramref name="triplets"/> are the odd-one-out judgements, if any.</summary>
    public AlignmentOptions ToOptions(IReadOnlyList<Triplet>? triplets = null, long? memoryLimit = null)
    {
        var defaults = new AlignmentOptions();
        var options = new AlignmentOptions
        {
            Metrics = Metrics is not null ? AlignmentMetric.Parse(string.Join(",", Metrics), Named("metrics"))
                : triplets is null ? AlignmentMetric.Defaults : [.. AlignmentMetric.Defaults, AlignmentMetric.Triplet],
            Cv = Cv is null ? defaults.Cv : CrossValidation.Parse(Cv, Named("cv")),
            Stimuli = Stimuli ?? defaults.Stimuli,
            Seed = Seed ?? defaults.Seed,
            K = K ?? defaults.K,
            NullPermutations = NullPermutations ?? Calibration.DefaultPermutations,
            Bootstrap = Bootstrap ?? 0,
            Triplets = triplets,
            MemoryLimit = memoryLimit,
        };
        options.Validate();
        return options;
    }
}
