using System.Collections.Concurrent;
using SaeAlign.Core;
using SaeAlign.Data;

namespace SaeAlign.Alignment;

/// <summary>
/// What <see cref="AlignmentRunner"/> hands each metric: the per-fold train/test moments of the live units, the
/// sampled and triplet rows, and the rows themselves for a second pass. Metrics that share a computation (the
/// matchings their correlation matrices, procrustes and its angle their fits) share it through <see cref="Shared{T}"/>.
/// </summary>
public sealed class DenseInputs
{
    private readonly ConcurrentDictionary<string, Lazy<object>> shared = new();
    private readonly Func<(Matrix Source, Matrix Target)> sample, tripletRows;

    internal DenseInputs(AlignmentOptions options, IReadOnlyList<(PairMoments Train, PairMoments Test)> splits, PairMoments total,
        Func<(Matrix, Matrix)> sample, string sampleProtocol, Func<(Matrix, Matrix)> tripletRows, IReadOnlyList<Triplet> triplets, SecondPassRows? rows)
    {
        Options = options;
        Splits = splits;
        Total = total;
        this.sample = sample;
        SampleProtocol = sampleProtocol;
        this.tripletRows = tripletRows;
        Triplets = triplets;
        this.rows = rows;
    }

    private readonly SecondPassRows? rows;

    public AlignmentOptions Options { get; }
    public string Cv => Options.Cv.ToString();

    /// <summary>One (train, test) pair per fold; without CV one pair of all rows twice.</summary>
    public IReadOnlyList<(PairMoments Train, PairMoments Test)> Splits { get; }

    /// <summary>All rows' moments.</summary>
    public PairMoments Total { get; }

    /// <summary>The sampled rows of the live units, and how the report names the sample.</summary>
    public (Matrix Source, Matrix Target) Sample => Shared("sample", sample);
    public string SampleProtocol { get; }

    /// <summary>The rows the triplets name (live units), and the triplets re-indexed into them.</summary>
    public (Matrix Source, Matrix Target) TripletRows => Shared("triplet-rows", tripletRows);
    public IReadOnlyList<Triplet> Triplets { get; }

    /// <summary>The rows again, for metrics that need a second pass.</summary>
    public SecondPassRows Rows => rows ?? throw new InvalidOperationException("These inputs hold moments only (a null replicate from moments); no metric that needs a second pass is scored from them.");

    /// <summary>The fit-rows correlation matrix of fold <paramref name="fold"/>, computed once for every metric that asks.</summary>
    public Matrix FitCorrelation(int fold) => Shared($"fit-correlation.{fold}", () => Splits[fold].Train.Correlation());

    /// <summary>The test-rows correlation matrix of fold <paramref name="fold"/> (the fit one without CV).</summary>
    public Matrix TestCorrelation(int fold) =>
        Options.Cv.IsNone ? FitCorrelation(fold) : Shared($"test-correlation.{fold}", () => Splits[fold].Test.Correlation());

    /// <summary>A value computed once per run under <paramref name="key"/>.</summary>
    public T Shared<T>(string key, Func<T> make) where T : notnull => (T)shared.GetOrAdd(key, _ => new Lazy<object>(() => make())).Value;

    /// <summary>The fitted metric's result from a score per fold.</summary>
    public MetricResult PerFold(IAlignmentMetric metric, Func<int, double> score, IReadOnlyDictionary<string, double>? details = null) =>
        MetricResult.Fitted(metric, Cv, Enumerable.Range(0, Splits.Count).Select(score).ToArray(), details);
}

/// <summary>The rows of a run for a second pass, with what the first pass found: the live units, the folds and the moments' shift.</summary>
public sealed record SecondPassRows(IPairedRows Rows, byte[] Folds, int[] LiveX, int[] LiveY, double[] ShiftX, double[] ShiftY)
{
    public ReadOnlySpan<byte> FoldsOf(RowBlock block) => AlignmentRunner.FoldsOf(Folds, block);
}

/// <summary>What <see cref="SparseAlignmentRunner"/> hands each sparse-capable metric.</summary>
public sealed class SparseInputs
{
    internal SparseInputs(AlignmentOptions options, SparseCodes source, SparseCodes target, SparseMoments moments, byte[] folds, int[] liveX, int[] liveY)
    {
        Options = options;
        this.folds = folds;
        Source = source;
        Target = target;
        Moments = moments;
        LiveX = liveX;
        LiveY = liveY;
        TargetPosition = SemiMatching.Positions(liveY, target.Columns);
        fits = Enumerable.Range(0, moments.Folds).Select(f => new Lazy<SparseMoments.RowSet>(() => moments.Fit(f))).ToArray();
        tests = Enumerable.Range(0, moments.Folds).Select(f => new Lazy<SparseMoments.RowSet>(() => moments.Test(f))).ToArray();
    }

    private readonly Lazy<SparseMoments.RowSet>[] fits, tests;
    private readonly byte[] folds;

    /// <summary>The fit and test rows of fold <paramref name="fold"/>, ascending; without CV one array of all rows, for both.</summary>
    public (int[] Fit, int[] Test) RowsOf(int fold)
    {
        if (folds.Length == 0)
        {
            var all = Enumerable.Range(0, Source.Rows).ToArray();
            return (all, all);
        }
        return (Enumerable.Range(0, folds.Length).Where(r => folds[r] != fold).ToArray(), Enumerable.Range(0, folds.Length).Where(r => folds[r] == fold).ToArray());
    }

    /// <summary>The fit and test rows of fold <paramref name="fold"/> (each made once: making one reads every unit's sums).</summary>
    public SparseMoments.RowSet Fit(int fold) => fits[fold].Value;

    public SparseMoments.RowSet Test(int fold) => tests[fold].Value;

    public AlignmentOptions Options { get; }
    public string Cv => Options.Cv.ToString();
    public SparseCodes Source { get; }
    public SparseCodes Target { get; }
    public SparseMoments Moments { get; }
    public int[] LiveX { get; }
    public int[] LiveY { get; }

    /// <summary>Position of each target unit among <see cref="LiveY"/>, −1 for dropped ones.</summary>
    public int[] TargetPosition { get; }

    private (int Fold, CoActiveCache Rows)? cache;

    /// <summary>
    /// The fit correlations of live sources [first, first + count) against every live target, for the certified solvers.
    /// The solvers price the same rows round after round, so the rows' co-active pairs are cached within a quarter of the
    /// memory limit, for one fold at a time (the last asked for): the metrics take the folds in order.
    /// </summary>
    public CorrelationRows FitRows(int fold, CancellationToken ct)
    {
        var fit = Fit(fold);
        if (cache?.Fold != fold) cache = (fold, new CoActiveCache(Options.ResolvedMemoryLimit / 4));
        var rows = cache.Value.Rows;
        return (first, count, into) => fit.CorrelationRows(LiveX, first, count, LiveY, TargetPosition, into, rows, ct);
    }

    /// <summary>The test correlation of live source position <paramref name="s"/> and live target position <paramref name="t"/>.</summary>
    public double TestCorrelation(int fold, int s, int t) => Test(fold).Correlation(LiveX[s], LiveY[t]);

    public MetricResult PerFold(IAlignmentMetric metric, Func<int, double> score) =>
        MetricResult.Fitted(metric, Cv, Enumerable.Range(0, Moments.Folds).Select(score).ToArray());
}
