using System.Globalization;
using SaeAlign.Core;

namespace SaeAlign.Alignment;

/// <summary>
/// The alignment protocol (DESIGN.md, alignment metrics): one streaming pass collects per-fold second
/// moments (and the stimulus sample for the row-wise metrics), constant units are dropped and reported,
/// fitted metrics are fitted on the training folds and scored on the held-out fold (fold mean and SEM), and
/// ridge reads the rows a second time for its leave-one-out alpha selection.
/// </summary>
public static class AlignmentRunner
{
    public static AlignmentReport Run(IPairedRows rows, AlignmentOptions options, CancellationToken ct = default)
    {
        var metrics = options.Metrics;
        Validate(options, rows.Rows);
        MemoryBudget.RequireDenseFits(rows.Rows, rows.SourceUnits, rows.TargetUnits, options, rowsInMemory: rows is not ParquetPairedRows);
        bool sampled = metrics.Any(m => m is AlignmentMetric.Rsa or AlignmentMetric.RsaSpearman or AlignmentMetric.Mknn);
        int sampleSize = Math.Min(rows.Rows, options.Stimuli);

        var cv = options.Cv;
        var folds = cv.Assign(rows.Rows);
        bool ridge = metrics.Contains(AlignmentMetric.Ridge);
        bool cka = metrics.Contains(AlignmentMetric.Cka) || metrics.Contains(AlignmentMetric.CkaDebiased);
        bool moments = metrics.Any(m => m is not (AlignmentMetric.Rsa or AlignmentMetric.RsaSpearman or AlignmentMetric.Mknn or AlignmentMetric.Triplet));
        var needs = moments ? new MomentNeeds(ridge || cka, cka, metrics.Contains(AlignmentMetric.CkaDebiased)) : MomentNeeds.UnitsOnly;

        var sample = sampled ? Sample(rows.Rows, sampleSize, options.Seed) : [];
        var tripletRows = options.Triplets is { } t && metrics.Contains(AlignmentMetric.Triplet)
            ? t.SelectMany(x => new[] { x.I, x.J, x.K }).Distinct().Order().ToArray()
            : [];
        var sampleRows = new RowCollector(sample, rows.SourceUnits, rows.TargetUnits);
        var tripletCollector = new RowCollector(tripletRows, rows.SourceUnits, rows.TargetUnits);

        using var accumulator = new MomentAccumulator(rows.SourceUnits, rows.TargetUnits, cv.Folds, needs);
        foreach (var block in rows.Blocks(ct))
        {
            accumulator.Add(block.Source, block.Target, block.Rows, FoldsOf(folds, block));
            sampleRows.Add(block);
            tripletCollector.Add(block);
        }

        var liveX = Live(accumulator.VaryingSource(), "source");
        var liveY = Live(accumulator.VaryingTarget(), "target");
        var buckets = accumulator.Moments().Select(m => m.Select(liveX, liveY)).ToArray();
        var total = buckets.Aggregate((a, b) => a.Plus(b));
        var splits = cv.IsNone
            ? [(Train: total, Test: total)]
            : buckets.Select(test => (Train: total.Minus(test), Test: test)).ToArray();
        string cvText = cv.ToString();

        var results = new List<MetricResult>();
        Matrix[]? fitCorrelations = null, testCorrelations = null;
        ProcrustesFit[]? procrustes = null;
        (double[] Scores, double[] Alphas)? ridgeResult = null;
        foreach (var metric in metrics)
        {
            ct.ThrowIfCancellationRequested();
            if (metric is AlignmentMetric.Semi or AlignmentMetric.Soft or AlignmentMetric.OneToOne)
            {
                fitCorrelations ??= splits.Select(s => s.Train.Correlation()).ToArray();
                testCorrelations ??= cv.IsNone ? fitCorrelations : splits.Select(s => s.Test.Correlation()).ToArray();
                var scores = new double[splits.Length];
                for (int f = 0; f < splits.Length; f++)
                {
                    scores[f] = metric switch
                    {
                        AlignmentMetric.Semi => SemiMatching.Fit(fitCorrelations[f]).Score(testCorrelations[f]),
                        AlignmentMetric.Soft => SoftMatching.Fit(fitCorrelations[f], ct).Score(testCorrelations[f]),
                        _ => OneToOneMatching.Fit(fitCorrelations[f]).Score(testCorrelations[f]),
                    };
                }
                results.Add(Fitted(metric, cvText, scores));
            }
            else if (metric is AlignmentMetric.Procrustes or AlignmentMetric.ProcrustesAngle)
            {
                procrustes ??= splits.Select(s => Alignment.Procrustes.Fit(s.Train)).ToArray();
                var scores = splits.Select((s, f) => metric == AlignmentMetric.Procrustes ? procrustes[f].Score(s.Test) : procrustes[f].Distance(s.Test)).ToArray();
                results.Add(Fitted(metric, cvText, scores));
            }
            else if (metric == AlignmentMetric.Ridge)
            {
                ridgeResult ??= Ridge(rows, splits, folds, liveX, liveY, accumulator.ShiftX, accumulator.ShiftY, ct);
                var details = new Dictionary<string, double>();
                for (int f = 0; f < ridgeResult.Value.Alphas.Length; f++)
                    details[cv.IsNone ? "alpha" : string.Create(CultureInfo.InvariantCulture, $"alpha.fold{f}")] = ridgeResult.Value.Alphas[f];
                results.Add(Fitted(metric, cvText, ridgeResult.Value.Scores, details));
            }
            else if (metric is AlignmentMetric.Cka or AlignmentMetric.CkaDebiased)
            {
                InvalidInputException.Require(metric == AlignmentMetric.Cka || total.Count >= 4, "cka-debiased needs at least 4 stimuli.");
                results.Add(Unfitted(metric, "all rows", LinearCka.Score(total, metric == AlignmentMetric.CkaDebiased)));
            }
            else if (metric is AlignmentMetric.Rsa or AlignmentMetric.RsaSpearman or AlignmentMetric.Mknn)
            {
                var (x, y) = sampleRows.Matrices(liveX, liveY);
                string protocol = sample.Length == rows.Rows
                    ? "all rows"
                    : string.Create(CultureInfo.InvariantCulture, $"{sample.Length} sampled stimuli (seed {options.Seed})");
                if (metric == AlignmentMetric.Mknn)
                {
                    results.Add(Unfitted(metric, protocol, MutualKnn.Score(x, y, options.K, ct),
                        new Dictionary<string, double> { ["k"] = options.K }));
                    continue;
                }
                var rsa = Alignment.Rsa.Score(x, y, metric == AlignmentMetric.Rsa ? RdmComparison.Pearson : RdmComparison.Spearman, ct);
                results.Add(Unfitted(metric, protocol, rsa.Score,
                    new Dictionary<string, double> { ["stimuli"] = rsa.Stimuli, ["dropped_stimuli"] = rsa.DroppedStimuli }));
            }
            else
            {
                var (x, y) = tripletCollector.Matrices(liveX, liveY);
                var position = tripletRows.Select((row, k) => (row, k)).ToDictionary(p => p.row, p => p.k);
                var local = options.Triplets!.Select(t => new Triplet(position[t.I], position[t.J], position[t.K], position[t.Odd])).ToArray();
                results.Add(Unfitted(metric, string.Create(CultureInfo.InvariantCulture, $"{local.Length} triplets"),
                    TripletAgreement.Agreement(x, y, local),
                    new Dictionary<string, double>
                    {
                        ["source_vs_judgements"] = TripletAgreement.Score(x, local),
                        ["target_vs_judgements"] = TripletAgreement.Score(y, local),
                    }));
            }
        }
        return new AlignmentReport(rows.Rows, rows.SourceUnits, rows.TargetUnits,
            Dropped(liveX, rows.SourceUnitNames), Dropped(liveY, rows.TargetUnitNames), cvText, results);
    }

    /// <summary>The checks every run makes before any work: options that cannot work with <paramref name="rows"/> stimuli.</summary>
    internal static void Validate(AlignmentOptions options, int rows)
    {
        var metrics = options.Metrics;
        InvalidInputException.Require(metrics.Count > 0, "--metrics must name at least one metric.");
        if (metrics.Contains(AlignmentMetric.Triplet))
            InvalidInputException.Require(options.Triplets is { Count: > 0 }, "the triplet metric needs a triplet file (--triplets FILE).");
        InvalidInputException.Require(options.Stimuli >= 3, $"--stimuli must be at least 3, got {options.Stimuli}.");
        InvalidInputException.Require(rows >= 3, $"{rows} rows: alignment needs at least 3 stimuli.");
        int sampleSize = Math.Min(rows, options.Stimuli);
        if (metrics.Contains(AlignmentMetric.Mknn))
            InvalidInputException.Require(options.K >= 1 && options.K < sampleSize, $"--k must be in 1..{sampleSize - 1} for {sampleSize} stimuli, got {options.K}.");
    }

    private static (double[] Scores, double[] Alphas) Ridge(
        IPairedRows rows, (PairMoments Train, PairMoments Test)[] splits, byte[] folds,
        int[] liveX, int[] liveY, double[] shiftX, double[] shiftY, CancellationToken ct)
    {
        var problems = splits.Select(s => RidgeRegression.Prepare(s.Train)).ToArray();
        using var loo = new RidgeLeaveOneOut(problems, shiftX, shiftY);
        foreach (var block in rows.Blocks(ct))
            loo.Add(block.Source, block.Target, block.Rows, rows.SourceUnits, rows.TargetUnits, liveX, liveY, FoldsOf(folds, block));
        var alphas = loo.Errors.Select(RidgeRegression.BestAlpha).ToArray();
        var scores = splits.Select((s, f) => problems[f].Solve(alphas[f]).Score(s.Test)).ToArray();
        return (scores, alphas);
    }

    private static ReadOnlySpan<byte> FoldsOf(byte[] folds, RowBlock block) =>
        folds.Length == 0 ? [] : folds.AsSpan(block.FirstRow, block.Rows);

    internal static MetricResult Fitted(string metric, string cv, double[] scores, IReadOnlyDictionary<string, double>? details = null)
    {
        var (mean, sem) = CrossValidation.Summarise(scores);
        return new MetricResult(metric, Direction(metric), cv, mean, scores.Length > 1 ? sem : null, scores, details ?? new Dictionary<string, double>());
    }

    internal static MetricResult Unfitted(string metric, string protocol, double score, IReadOnlyDictionary<string, double>? details = null) =>
        new(metric, Direction(metric), protocol, score, null, [score], details ?? new Dictionary<string, double>());

    private static string Direction(string metric) => AlignmentMetric.IsDirectional(metric) ? "source->target" : "symmetric";

    internal static int[] Live(bool[] varying, string side)
    {
        var live = Enumerable.Range(0, varying.Length).Where(i => varying[i]).ToArray();
        InvalidInputException.Require(live.Length >= 2,
            $"the {side} set has {live.Length} non-constant unit(s) of {varying.Length}; alignment needs at least 2 (constant units, e.g. dead ones, are dropped).");
        return live;
    }

    internal static IReadOnlyList<string> Dropped(int[] live, IReadOnlyList<string> names)
    {
        var keep = live.ToHashSet();
        return names.Where((_, i) => !keep.Contains(i)).ToArray();
    }

    /// <summary>All rows when they fit, else the first <paramref name="size"/> of a seeded shuffle, in row order.</summary>
    private static int[] Sample(int rows, int size, long seed) =>
        size == rows
            ? Enumerable.Range(0, rows).ToArray()
            : CrossValidation.Shuffle(rows, Seeds.Derive(seed, "stimuli")).Take(size).Order().ToArray();

    /// <summary>Copies the listed rows (ascending) out of the block stream.</summary>
    private sealed class RowCollector(int[] wanted, int sourceUnits, int targetUnits)
    {
        private readonly double[] source = new double[(long)wanted.Length * sourceUnits];
        private readonly double[] target = new double[(long)wanted.Length * targetUnits];
        private int next;

        public void Add(RowBlock block)
        {
            while (next < wanted.Length && wanted[next] < block.FirstRow + block.Rows)
            {
                int r = wanted[next] - block.FirstRow;
                for (int u = 0; u < sourceUnits; u++) source[(long)next * sourceUnits + u] = block.Source[(long)r * sourceUnits + u];
                for (int u = 0; u < targetUnits; u++) target[(long)next * targetUnits + u] = block.Target[(long)r * targetUnits + u];
                next++;
            }
        }

        public (Matrix Source, Matrix Target) Matrices(int[] liveX, int[] liveY)
        {
            var rowsIndex = Enumerable.Range(0, wanted.Length).ToArray();
            return (new Matrix(wanted.Length, sourceUnits, source).Select(rowsIndex, liveX),
                new Matrix(wanted.Length, targetUnits, target).Select(rowsIndex, liveY));
        }
    }
}
