using SaeAlign.Core;

namespace SaeAlign.Alignment;

/// <summary>
/// The alignment protocol on sparse codes (SAE latents of any width): the same folds, dropped units and scores as
/// <see cref="AlignmentRunner"/>, without N x d_sae arrays or a x b matrices. Semi-matching, soft matching and
/// one-to-one matching are exact from <see cref="SparseMoments"/> (the argmax and the transport plans are certified
/// against every pair). Other metrics take the dense route on the densified rows when it fits the memory limit; when
/// it does not, the run exits 2 before any work, naming the metric.
/// </summary>
public static class SparseAlignmentRunner
{
    /// <summary>The metrics computed from sparse moments at any width.</summary>
    public static readonly IReadOnlyList<string> SparseMetrics = [AlignmentMetric.Semi, AlignmentMetric.Soft, AlignmentMetric.OneToOne, AlignmentMetric.Cka];

    private const long ReleaseAbove = 256L << 20;

    /// <summary>Throws <see cref="InvalidInputException"/> before any work when the metrics that need the dense route would not fit.</summary>
    public static void RequireFits(int rows, int sourceUnits, int targetUnits, AlignmentOptions options, string? comparison = null)
    {
        AlignmentRunner.Validate(options, rows);
        var dense = options.Metrics.Except(SparseMetrics).ToArray();
        if (dense.Length > 0) MemoryBudget.RequireDenseFits(rows, sourceUnits, targetUnits, options with { Metrics = dense }, comparison);
    }

    /// <param name="denseRows">The same rows densified, for metrics without a sparse route; asked for only when one is requested.</param>
    public static AlignmentReport Run(SparseCodes source, SparseCodes target, AlignmentOptions options, Func<IPairedRows> denseRows, CancellationToken ct = default)
    {
        if (source.Rows != target.Rows)
            throw new InvalidInputException($"the source has {source.Rows} rows but the target has {target.Rows}; rows must be the same stimuli.");
        RequireFits(source.Rows, source.Columns, target.Columns, options);
        var cv = options.Cv;
        var folds = cv.Assign(source.Rows);
        var moments = SparseMoments.Collect(source, target, folds, cv.Folds, ct);
        var liveX = AlignmentRunner.Live(moments.VaryingSource, "source");
        var liveY = AlignmentRunner.Live(moments.VaryingTarget, "target");
        var targetPosition = SemiMatching.Positions(liveY, target.Columns);

        var dense = options.Metrics.Except(SparseMetrics).ToArray();
        var denseResults = dense.Length == 0
            ? []
            : AlignmentRunner.Run(denseRows(), options with { Metrics = dense }, ct).Metrics.ToDictionary(m => m.Metric);

        string cvText = cv.ToString();
        var results = new List<MetricResult>();
        foreach (var metric in options.Metrics)
        {
            ct.ThrowIfCancellationRequested();
            if (denseResults.TryGetValue(metric, out var computed))
            {
                results.Add(computed);
                continue;
            }
            if (metric == AlignmentMetric.Cka)
            {
                // Over all rows, as on the dense route; the self tables are one bucket each.
                double cka = LinearCka.Score(moments, SparseMoments.Collect(source, source, [], 1, ct), SparseMoments.Collect(target, target, [], 1, ct), liveX, liveY);
                results.Add(AlignmentRunner.Unfitted(metric, "all rows", cka));
                continue;
            }
            var scores = new double[cv.Folds];
            for (int f = 0; f < scores.Length; f++)
            {
                var fit = moments.Fit(f);
                var test = moments.Test(f);
                double TestCorrelation(int s, int t) => test.Correlation(liveX[s], liveY[t]);
                void FitRows(int first, int count, Span<double> into) => fit.CorrelationRows(liveX, first, count, liveY, targetPosition, into);
                scores[f] = metric switch
                {
                    AlignmentMetric.Semi => SemiMatching.Fit(moments, fit, liveX, liveY).Score(test, liveX, liveY),
                    AlignmentMetric.Soft => CertifiedTransport.SoftPlan(liveX.Length, liveY.Length, FitRows, ct: ct).Score(TestCorrelation),
                    _ => CertifiedTransport.OneToOnePairs(liveX.Length, liveY.Length, FitRows, ct: ct).Pairs.Average(p => TestCorrelation(p.Source, p.Target)),
                };
            }
            results.Add(AlignmentRunner.Fitted(metric, cvText, scores));
        }
        // Co-activation tables of wide codes run to a gigabyte; the GC collects such arrays lazily, so without this a
        // replay's five comparisons would hold five tables' worth of memory at once.
        if (moments.Bytes > ReleaseAbove) ProcessMemory.Release();
        return new AlignmentReport(source.Rows, source.Columns, target.Columns,
            AlignmentRunner.Dropped(liveX, source.UnitNames), AlignmentRunner.Dropped(liveY, target.UnitNames), cvText, results);
    }
}
