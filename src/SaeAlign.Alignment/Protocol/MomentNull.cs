using SaeAlign.Core;
using TorchSharp;
using static TorchSharp.torch;

namespace SaeAlign.Alignment;

/// <summary>
/// Null replicates of the metrics that read only second moments (semi, soft, one-to-one, cka, procrustes), without
/// re-running the protocol: a permutation within folds leaves each side's per-fold sums, squares and Gram matrices as
/// they were, so a replicate recomputes only the per-fold cross products of the source rows with the permuted target
/// rows (one float64 GEMM over dense rows, k_x·k_y products a row for sparse codes) and scores the metrics from them on
/// the dense route (whose scores equal the sparse route's, but for soft and one-to-one where the optimal plan is not
/// unique). Replicates go in batches that share ridge's source-side work (<see cref="RidgeNull"/>). Used where a and b
/// are small enough for dense a x b moments (narrow codes and neurons); wider codes keep the replicate re-run
/// (<see cref="Calibration"/>).
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

    /// <summary>
    /// The metrics' scores for <paramref name="count"/> replicates, replicate r pairing target row
    /// <paramref name="permutation"/>(r)[i] with source row i (a permutation within folds). Replicates go in batches,
    /// so ridge's source-side work per row is done once a batch (<see cref="RidgeNull"/>).
    /// </summary>
    public double[][] Scores(int count, Func<int, int[]> permutation, CancellationToken ct)
    {
        var scores = new double[count][];
        for (int first = 0; first < count; first += BatchSize)
        {
            var targetRows = Enumerable.Range(first, Math.Min(BatchSize, count - first)).Select(permutation).ToArray();
            var splits = targetRows.Select(rows =>
            {
                var permuted = buckets.Select((bucket, f) => bucket with { Xy = Cross(f, rows, ct) }).ToArray();
                var total = Sum(permuted);
                return (Total: total, Splits: Splits(permuted, total));
            }).ToArray();
            var ridgeScores = ridge?.Scores(splits.Select(s => s.Splits).ToArray(), targetRows, ct);
            for (int r = 0; r < targetRows.Length; r++)
            {
                var inputs = new DenseInputs(options, splits[r].Splits, splits[r].Total, () => throw new InvalidOperationException("no sampled rows here"), "",
                    () => throw new InvalidOperationException("no triplet rows here"), [], rows: null);
                scores[first + r] = Metrics.Select(m => m == AlignmentMetric.Ridge ? ridgeScores![r] : AlignmentMetric.Get(m).Score(inputs, ct).Score).ToArray();
            }
        }
        return scores;
    }

    /// <summary>Replicates a batch: their per-fold cross products (two a x b per fold each) within 256 MB (ridge's per-replicate G about as much again).</summary>
    private int BatchSize => (int)Math.Clamp((256L << 20) / (16L * x.Width * y.Width * buckets.Length), 1, 64);

    /// <summary>
    /// Σ (x − μx)(y − μy)ᵀ over fold <paramref name="fold"/>'s source rows paired with target rows
    /// <paramref name="targetRows"/>[i]: one GEMM over dense rows; entry by entry where a side is sparse, as
    /// Σ s tᵀ − Sx μyᵀ − μx Syᵀ − n μx μyᵀ (s, t the raw entries; Sx, Sy the fold's centred sums, which a permutation
    /// within the fold leaves as they are).
    /// </summary>
    private Matrix Cross(int fold, int[] targetRows, CancellationToken ct)
    {
        var sourceRows = members[fold];
        var pairedRows = sourceRows.Select(r => targetRows[r]).ToArray();
        if (!x.Sparse && !y.Sparse)
        {
            using var scope = torch.NewDisposeScope();
            var xy = torch.zeros(x.Width, y.Width, ScalarType.Float64);
            foreach (var (cx, cy) in Chunks(sourceRows, pairedRows, ct)) xy.addmm_(cx.t(), cy);
            return Dense.ToMatrix(xy);
        }
        int a = x.Width, b = y.Width;
        var products = new double[a * b];
        blockX ??= x.Block(BlockRows);
        blockY ??= y.Block(BlockRows);
        for (int first = 0; first < sourceRows.Length; first += BlockRows)
        {
            ct.ThrowIfCancellationRequested();
            int count = Math.Min(BlockRows, sourceRows.Length - first);
            x.Load(sourceRows.AsSpan(first, count), blockX);
            y.Load(pairedRows.AsSpan(first, count), blockY);
            x.AddProducts(blockX, y, blockY, products);
        }
        var bucket = buckets[fold];
        for (int i = 0; i < a; i++)
            for (int j = 0; j < b; j++)
                products[i * b + j] -= bucket.SumX[i] * y.Mean[j] + x.Mean[i] * bucket.SumY[j] + bucket.Count * x.Mean[i] * y.Mean[j];
        return new Matrix(a, b, products);
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

    private const int BlockRows = 1024;
    private EntryBlock? blockX, blockY;

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
