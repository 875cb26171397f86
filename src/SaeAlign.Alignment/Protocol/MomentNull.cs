using SaeAlign.Core;
using TorchSharp;
using static TorchSharp.torch;

namespace SaeAlign.Alignment;

/// <summary>
/// Null replicates of the metrics that read only second moments (semi, soft, one-to-one, cka, procrustes), without
/// re-running the protocol: a permutation within folds leaves each side's per-fold sums, squares and Gram matrices as
/// they were, so a replicate recomputes only the per-fold cross products of the source rows with the permuted target
/// rows (one float64 GEMM over the rows) and scores the metrics from them on the dense route, whose scores equal the
/// sparse route's. Used where a and b are small enough for dense a x b moments (narrow codes and neurons); wider codes
/// keep the replicate re-run (<see cref="Calibration"/>).
/// </summary>
internal sealed class MomentNull : IDisposable
{
    /// <summary>What a metric may need to be scored here: moments only, no second pass, sampled rows or row norms.</summary>
    private const MetricNeeds FromMoments = MetricNeeds.CrossMoments | MetricNeeds.SourceGram | MetricNeeds.TargetGram | MetricNeeds.Correlations;

    /// <summary>Chunks of rows of about this many values per side keep the GEMM operands cache-sized.</summary>
    private const int ChunkValues = 1 << 20;

    /// <summary>Dense a x b moments are used up to this many units a side (wider codes: the replicate re-run).</summary>
    public const int MaxUnits = 2048;

    private readonly LiveRows x, y;
    private readonly AlignmentOptions options;
    private readonly int[][] members;
    private readonly PairMoments[] buckets;
    private readonly RidgeNull? ridge;

    /// <summary>The requested metrics whose null replicates this class computes: the moment metrics, and ridge for narrow sources (<see cref="RidgeNull"/>).</summary>
    public IReadOnlyList<string> Metrics { get; }

    private static IReadOnlyList<string> MetricsOf(AlignmentOptions options, int sourceUnits) =>
        options.Metrics.Where(m => (AlignmentMetric.Get(m).Needs & ~FromMoments) == 0 || (m == AlignmentMetric.Ridge && sourceUnits <= RidgeNull.MaxSources)).ToArray();

    /// <summary>Whether source and target of these widths take this route (else each replicate re-runs the protocol).</summary>
    public static bool Fits(int sourceUnits, int targetUnits, AlignmentOptions options) =>
        sourceUnits <= MaxUnits && targetUnits <= MaxUnits && MetricsOf(options, sourceUnits).Count > 0
        && MemoryBudget.Dense(0, 0, sourceUnits, targetUnits, options.Cv.Folds, MetricsOf(options, sourceUnits)) <= options.ResolvedMemoryLimit / 2;

    public MomentNull(LiveRows source, LiveRows target, AlignmentOptions options, CancellationToken ct)
    {
        x = source;
        y = target;
        this.options = options;
        var folds = options.Cv.Assign(source.Rows);
        members = folds.Length == 0
            ? [Enumerable.Range(0, source.Rows).ToArray()]
            : Enumerable.Range(0, options.Cv.Folds).Select(f => Enumerable.Range(0, folds.Length).Where(r => folds[r] == f).ToArray()).ToArray();
        var metrics = MetricsOf(options, source.Width);
        var needs = AlignmentMetric.NeedsOf(metrics);
        buckets = members.Select(rows => Moments(rows, needs.HasFlag(MetricNeeds.SourceGram), needs.HasFlag(MetricNeeds.TargetGram), ct)).ToArray();
        if (metrics.Contains(AlignmentMetric.Ridge))
        {
            ridge = new RidgeNull(source, target, members);
            if (!ridge.Prepare(Splits(buckets, Sum(buckets)), ct))
            {
                ridge.Dispose();
                ridge = null;
                metrics = metrics.Where(m => m != AlignmentMetric.Ridge).ToArray();
            }
        }
        Metrics = metrics;
    }

    /// <summary>One (train, test) pair per fold from per-fold moments, as the runners make them; without CV all rows twice.</summary>
    private IReadOnlyList<(PairMoments Train, PairMoments Test)> Splits(PairMoments[] perFold, PairMoments total) =>
        options.Cv.IsNone ? [(total, total)] : perFold.Select(test => (total.Minus(test), test)).ToArray();

    private static PairMoments Sum(PairMoments[] perFold) => perFold.Aggregate((a, b) => a.Plus(b));

    public void Dispose() => ridge?.Dispose();

    /// <summary>The metrics' scores with target row <paramref name="targetRows"/>[i] paired with source row i (a permutation within folds).</summary>
    public double[] Scores(int[] targetRows, CancellationToken ct)
    {
        var permuted = buckets.Select((bucket, f) => bucket with
        {
            Xy = Cross(members[f], members[f].Select(r => targetRows[r]).ToArray(), ct),
        }).ToArray();
        var total = Sum(permuted);
        var splits = Splits(permuted, total);
        var inputs = new DenseInputs(options, splits, total, () => throw new InvalidOperationException("no sampled rows here"), "",
            () => throw new InvalidOperationException("no triplet rows here"), [], rows: null);
        return Metrics.Select(m => m == AlignmentMetric.Ridge ? ridge!.Score(splits, targetRows, ct) : AlignmentMetric.Get(m).Score(inputs, ct).Score).ToArray();
    }

    /// <summary>Σ (x − μx)(y − μy)ᵀ over source rows <paramref name="sourceRows"/> paired with target rows <paramref name="targetRows"/>.</summary>
    private Matrix Cross(int[] sourceRows, int[] targetRows, CancellationToken ct)
    {
        using var scope = torch.NewDisposeScope();
        var xy = torch.zeros(x.Width, y.Width, ScalarType.Float64);
        foreach (var (cx, cy) in Chunks(sourceRows, targetRows, ct)) xy.addmm_(cx.t(), cy);
        return Dense.ToMatrix(xy);
    }

    /// <summary>
    /// The rows as float64 tensors over two reused buffers (no copy, no garbage: fresh arrays per chunk were large
    /// objects whose collection cost more than the products), a chunk at a time; each chunk is valid until the next.
    /// </summary>
    private IEnumerable<(Tensor Source, Tensor Target)> Chunks(int[] sourceRows, int[] targetRows, CancellationToken ct)
    {
        int a = x.Width, b = y.Width;
        int chunk = Math.Max(64, ChunkValues / Math.Max(a, b));
        bufferX ??= new double[(long)chunk * a];
        bufferY ??= new double[(long)chunk * b];
        for (int first = 0; first < sourceRows.Length; first += chunk)
        {
            ct.ThrowIfCancellationRequested();
            int count = Math.Min(chunk, sourceRows.Length - first);
            x.Fill(sourceRows.AsSpan(first, count), bufferX);
            y.Fill(targetRows.AsSpan(first, count), bufferY);
            using var cx = torch.frombuffer(bufferX, ScalarType.Float64, (long)count * a).view(count, a);
            using var cy = torch.frombuffer(bufferY, ScalarType.Float64, (long)count * b).view(count, b);
            yield return (cx, cy);
        }
    }

    private double[]? bufferX, bufferY;

    /// <summary>Moments of the rows <paramref name="rows"/> of both sides, about the global means.</summary>
    private PairMoments Moments(int[] rows, bool sourceGram, bool targetGram, CancellationToken ct)
    {
        int a = x.Width, b = y.Width;
        using var scope = torch.NewDisposeScope();
        var sumX = torch.zeros(a, ScalarType.Float64);
        var sumY = torch.zeros(b, ScalarType.Float64);
        var squaresX = torch.zeros(a, ScalarType.Float64);
        var squaresY = torch.zeros(b, ScalarType.Float64);
        var xy = torch.zeros(a, b, ScalarType.Float64);
        var xx = sourceGram ? torch.zeros(a, a, ScalarType.Float64) : null;
        var yy = targetGram ? torch.zeros(b, b, ScalarType.Float64) : null;
        foreach (var (cx, cy) in Chunks(rows, rows, ct))
        {
            using var chunkScope = torch.NewDisposeScope();
            xy.addmm_(cx.t(), cy);
            sumX.add_(cx.sum(dim: 0));
            sumY.add_(cy.sum(dim: 0));
            squaresX.add_(cx.square().sum(dim: 0));
            squaresY.add_(cy.square().sum(dim: 0));
            xx?.addmm_(cx.t(), cx);
            yy?.addmm_(cy.t(), cy);
        }
        return PairMoments.FromTensors(rows.Length, sumX, sumY, squaresX, squaresY, xy, xx, yy);
    }
}

/// <summary>
/// The live (non-constant) units of an activation set or of sparse codes, as dense float64 rows about the units'
/// means over all rows, one chunk of rows at a time.
/// </summary>
internal abstract class LiveRows
{
    protected LiveRows(int rows, int[] live, double[] mean)
    {
        Rows = rows;
        Live = live;
        Mean = mean;
    }

    public int Rows { get; }
    public int[] Live { get; }
    public int Width => Live.Length;
    protected double[] Mean { get; }

    /// <summary>Rows <paramref name="rows"/>, live units only, minus their means, row-major into <paramref name="into"/>.</summary>
    public abstract void Fill(ReadOnlySpan<int> rows, double[] into);

    public static LiveRows Of(ActivationSet set) => new DenseRows(set);

    public static LiveRows Of(SparseCodes codes) => new SparseRows(codes);

    private sealed class DenseRows : LiveRows
    {
        private readonly ActivationSet set;

        public DenseRows(ActivationSet set) : this(set, Scan(set)) { }

        private DenseRows(ActivationSet set, (int[] Live, double[] Mean) scan) : base(set.Rows, scan.Live, scan.Mean) => this.set = set;

        private static (int[], double[]) Scan(ActivationSet set)
        {
            int c = set.Columns;
            var min = new float[c];
            var max = new float[c];
            var sum = new double[c];
            Array.Fill(min, float.PositiveInfinity);
            Array.Fill(max, float.NegativeInfinity);
            for (int r = 0; r < set.Rows; r++)
            {
                var row = set.Row(r);
                for (int u = 0; u < c; u++)
                {
                    min[u] = Math.Min(min[u], row[u]);
                    max[u] = Math.Max(max[u], row[u]);
                    sum[u] += row[u];
                }
            }
            var live = Enumerable.Range(0, c).Where(u => max[u] > min[u]).ToArray();
            return (live, live.Select(u => sum[u] / set.Rows).ToArray());
        }

        public override void Fill(ReadOnlySpan<int> rows, double[] into)
        {
            int w = Width;
            for (int k = 0; k < rows.Length; k++)
            {
                var row = set.Row(rows[k]);
                for (int p = 0; p < w; p++) into[k * w + p] = row[Live[p]] - Mean[p];
            }
        }
    }

    private sealed class SparseRows : LiveRows
    {
        private readonly SparseCodes codes;
        private readonly int[] position;

        public SparseRows(SparseCodes codes) : this(codes, Scan(codes)) { }

        private SparseRows(SparseCodes codes, (int[] Live, double[] Mean) scan) : base(codes.Rows, scan.Live, scan.Mean)
        {
            this.codes = codes;
            position = SemiMatching.Positions(Live, codes.Columns);
        }

        /// <summary>A unit is constant when it never fires, or fires on every row with one value.</summary>
        private static (int[], double[]) Scan(SparseCodes codes)
        {
            int c = codes.Columns;
            var count = new long[c];
            var min = new float[c];
            var max = new float[c];
            var sum = new double[c];
            Array.Fill(min, float.PositiveInfinity);
            Array.Fill(max, float.NegativeInfinity);
            for (long e = 0; e < codes.Entries; e++)
            {
                int u = codes.Index[e];
                float v = codes.Value[e];
                count[u]++;
                min[u] = Math.Min(min[u], v);
                max[u] = Math.Max(max[u], v);
                sum[u] += v;
            }
            var live = Enumerable.Range(0, c).Where(u => count[u] > 0 && (count[u] < codes.Rows || max[u] > min[u])).ToArray();
            return (live, live.Select(u => sum[u] / codes.Rows).ToArray());
        }

        public override void Fill(ReadOnlySpan<int> rows, double[] into)
        {
            int w = Width;
            for (int k = 0; k < rows.Length; k++)
            {
                var target = into.AsSpan(k * w, w);
                for (int p = 0; p < w; p++) target[p] = -Mean[p];
                var index = codes.RowIndex(rows[k]);
                var value = codes.RowValues(rows[k]);
                for (int e = 0; e < index.Length; e++)
                    if (position[index[e]] is var p and >= 0) target[p] += value[e];
            }
        }
    }
}
