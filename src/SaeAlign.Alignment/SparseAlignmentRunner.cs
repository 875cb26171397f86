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
        var sparse = options.Metrics.Where(m => !denseResults.ContainsKey(m) && m != AlignmentMetric.Cka).ToArray();
        var foldScores = sparse.ToDictionary(m => m, _ => new double[cv.Folds]);
        for (int f = 0; f < cv.Folds; f++)
        {
            var fit = moments.Fit(f);
            var test = moments.Test(f);
            // Soft and one-to-one price the same fit rows round after round: a quarter of the memory limit keeps them.
            var cache = new CoActiveCache(options.ResolvedMemoryLimit / 4);
            double TestCorrelation(int s, int t) => test.Correlation(liveX[s], liveY[t]);
            void FitRows(int first, int count, Memory<double> into) => fit.CorrelationRows(liveX, first, count, liveY, targetPosition, into, cache, ct);
            foreach (var metric in sparse)
            {
                ct.ThrowIfCancellationRequested();
                foldScores[metric][f] = metric switch
                {
                    AlignmentMetric.Semi => SemiMatching.Fit(moments, fit, liveX, liveY, ct).Score(test, liveX, liveY),
                    AlignmentMetric.Soft => CertifiedTransport.SoftPlan(liveX.Length, liveY.Length, FitRows, ct: ct).Score(TestCorrelation),
                    _ => CertifiedTransport.OneToOnePairs(liveX.Length, liveY.Length, FitRows, ct: ct).Pairs.Average(p => TestCorrelation(p.Source, p.Target)),
                };
            }
        }

        var results = new List<MetricResult>();
        foreach (var metric in options.Metrics)
        {
            ct.ThrowIfCancellationRequested();
            if (denseResults.TryGetValue(metric, out var computed)) results.Add(computed);
            else if (foldScores.TryGetValue(metric, out var scores)) results.Add(AlignmentRunner.Fitted(metric, cvText, scores));
            else
            {
                // CKA, over all rows as on the dense route; the self co-activations are one bucket each.
                double cka = LinearCka.Score(moments, SparseMoments.Collect(source, source, [], 1, ct), SparseMoments.Collect(target, target, [], 1, ct), liveX, liveY, ct);
                results.Add(AlignmentRunner.Unfitted(metric, "all rows", cka));
            }
        }
        return new AlignmentReport(source.Rows, source.Columns, target.Columns,
            AlignmentRunner.Dropped(liveX, source.UnitNames), AlignmentRunner.Dropped(liveY, target.UnitNames), cvText, results);
    }
}
