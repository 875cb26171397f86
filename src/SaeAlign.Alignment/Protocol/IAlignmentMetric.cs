namespace SaeAlign.Alignment;

/// <summary>What a metric reads from the rows; a run collects the union of its metrics' needs in one pass.</summary>
[Flags]
public enum MetricNeeds
{
    None = 0,
    /// <summary>Per-fold unit sums and the a x b cross products.</summary>
    CrossMoments = 1,
    /// <summary>The a x a source Gram matrix per fold.</summary>
    SourceGram = 2,
    /// <summary>The b x b target Gram matrix per fold.</summary>
    TargetGram = 4,
    /// <summary>Sums of row norms (debiased CKA).</summary>
    RowNorms = 8,
    /// <summary>A seeded sample of whole rows (at most <see cref="AlignmentOptions.Stimuli"/>).</summary>
    SampledRows = 16,
    /// <summary>The rows the triplet judgements name.</summary>
    TripletRows = 32,
    /// <summary>A second pass over the rows and an a x a factorisation per fold (ridge's leave-one-out).</summary>
    SecondPass = 64,
    /// <summary>The a x b fit and test correlation matrices per fold (the matchings).</summary>
    Correlations = 128,
}

/// <summary>
/// One alignment metric, in the shape netrep gives every metric: its name, whether it fits a mapping on training
/// rows (and so follows --cv), whether it is directional (source -> target), and what it needs from the rows. The
/// runners collect what the requested metrics need once and hand it to each; adding a metric is one class and its
/// line in <see cref="AlignmentMetric"/>'s registry.
/// </summary>
public interface IAlignmentMetric
{
    string Name { get; }
    bool Fitted { get; }
    bool Directional { get; }
    MetricNeeds Needs { get; }

    /// <summary>Whether a larger score means more aligned (false for distances): the side a null replicate must reach to count against the score.</summary>
    bool HigherIsAligned => true;

    /// <summary>The metric on dense rows, from the moments and rows <paramref name="inputs"/> collected.</summary>
    MetricResult Score(DenseInputs inputs, CancellationToken ct);
}

/// <summary>A metric that is also exact on sparse codes at any width, from <see cref="SparseMoments"/>, without a x b arrays.</summary>
public interface ISparseAlignmentMetric : IAlignmentMetric
{
    MetricResult Score(SparseInputs inputs, CancellationToken ct);

    /// <summary>
    /// Upper estimate of the bytes the sparse route holds beyond the codes for <paramref name="rows"/> stimuli of
    /// <paramref name="a"/> source and <paramref name="b"/> target units, checked against the memory limit before any
    /// work; 0 for metrics whose working set the runner already bounds.
    /// </summary>
    long SparseBytes(long rows, long a, long b, int folds) => 0;

    /// <summary>Whether codes of this shape take the sparse route (else the dense route on the densified rows).</summary>
    bool PrefersSparse(long rows, long a, long b) => true;
}
