using SaeAlign.Core;

namespace SaeAlign.Alignment;

/// <summary>
/// The alignment protocol on sparse codes (SAE latents of any width): the same folds, dropped units and scores as
/// <see cref="AlignmentRunner"/>, without N x d_sae arrays or a x b matrices. The metrics with a sparse route
/// (<see cref="ISparseAlignmentMetric"/>: semi, soft, one-to-one, cka from <see cref="SparseMoments"/>, the argmax and
/// the transport plans certified against every pair; ridge from sparse products) take it where they prefer it. Other
/// metrics take the dense route on the densified rows when it fits the memory limit; when it does not, the run exits 2
/// before any work, naming the metric.
/// </summary>
public static class SparseAlignmentRunner
{
    /// <summary>The metrics computed from sparse moments at any width.</summary>
    public static readonly IReadOnlyList<string> SparseMetrics = AlignmentMetric.Registered.OfType<ISparseAlignmentMetric>().Select(m => m.Name).ToArray();

    /// <summary>Throws <see cref="InvalidInputException"/> before any work when the metrics that need the dense route would not fit.</summary>
    public static void RequireFits(int rows, int sourceUnits, int targetUnits, AlignmentOptions options, string? comparison = null)
    {
        AlignmentRunner.Validate(options, rows);
        var sparse = SparseOnes(rows, sourceUnits, targetUnits, options);
        var dense = options.Metrics.Except(sparse.Select(m => m.Name)).ToArray();
        if (dense.Length > 0) MemoryBudget.RequireDenseFits(rows, sourceUnits, targetUnits, options with { Metrics = dense }, comparison, alternatives: SparseMetrics);
        foreach (var metric in sparse) MemoryBudget.RequireSparseFits(metric, rows, sourceUnits, targetUnits, options, comparison);
    }

    /// <summary>The requested metrics that take the sparse route on codes of this shape.</summary>
    private static ISparseAlignmentMetric[] SparseOnes(long rows, long a, long b, AlignmentOptions options) =>
        options.Metrics.Select(AlignmentMetric.Get).OfType<ISparseAlignmentMetric>().Where(m => m.PrefersSparse(rows, a, b)).ToArray();

    /// <summary>The protocol on sparse codes, with the null and bootstrap replicates the options ask for (<see cref="Calibration"/>).</summary>
    public static AlignmentReport Run(SparseCodes source, SparseCodes target, AlignmentOptions options, CancellationToken ct = default)
    {
        if (source.Rows != target.Rows)
            throw new InvalidInputException($"the source has {source.Rows} rows but the target has {target.Rows}; rows must be the same stimuli.");
        RequireFits(source.Rows, source.Columns, target.Columns, options);
        var once = Calibration.Off(options);
        return Calibration.Add(Observe(source, target, once, ct), options,
            (sourceRows, targetRows, metrics) => Observe(sourceRows is null ? source : source.Gather(sourceRows), target.Gather(targetRows), once with { Metrics = metrics }, ct),
            MomentNull.Fits(source.Columns, target.Columns, options) ? () => new MomentNull(LiveRows.Of(source), LiveRows.Of(target), once, ct) : null, ct);
    }

    private static AlignmentReport Observe(SparseCodes source, SparseCodes target, AlignmentOptions options, CancellationToken ct)
    {
        var cv = options.Cv;
        var folds = cv.Assign(source.Rows);
        var moments = SparseMoments.Collect(source, target, folds, cv.Folds, ct);
        var liveX = AlignmentRunner.Live(moments.VaryingSource, "source");
        var liveY = AlignmentRunner.Live(moments.VaryingTarget, "target");

        var dense = options.Metrics.Except(SparseOnes(source.Rows, source.Columns, target.Columns, options).Select(m => m.Name)).ToArray();
        var denseResults = dense.Length == 0
            ? []
            : AlignmentRunner.Run(new InMemoryPairedRows(source.ToDense(), target.ToDense(), compareStimuli: false), options with { Metrics = dense }, ct)
                .Metrics.ToDictionary(m => m.Metric);

        var inputs = new SparseInputs(options, source, target, moments, folds, liveX, liveY);
        var results = new List<MetricResult>();
        foreach (var metric in options.Metrics)
        {
            ct.ThrowIfCancellationRequested();
            results.Add(denseResults.TryGetValue(metric, out var computed) ? computed : ((ISparseAlignmentMetric)AlignmentMetric.Get(metric)).Score(inputs, ct));
        }
        return new AlignmentReport(source.Rows, source.Columns, target.Columns,
            AlignmentRunner.Dropped(liveX, source.UnitNames), AlignmentRunner.Dropped(liveY, target.UnitNames), cv.ToString(), results);
    }
}
