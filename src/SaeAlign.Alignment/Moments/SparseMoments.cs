using System.Collections.Concurrent;
using SaeAlign.Core;

namespace SaeAlign.Alignment;

/// <summary>
/// Per-fold second moments of two sparse activation sets, computed from the rows on demand instead of stored: per
/// unit and fold the count, Σx and Σx² (kept), and for any unit the per-fold Σ x_i y_j against every unit of the
/// other set it is co-active with (nonzero together in at least one row), from a column-major copy of each set.
/// A pair that is never co-active has Σ x_i y_j = 0, so its correlation on any rows follows from the two units'
/// sums alone. One unit's cross sums cost Σ over its active rows of the other set's nonzeros in those rows, so a
/// pass over every unit costs Σ_rows nnz(x)·nnz(y) multiply-adds (20 M for 20,000 rows of k = 32 codes), and memory
/// is the two sets' entries twice over, never a table of pairs: a dense neuron set against 65,536 latents has
/// 134 M co-active pairs that a table would hold per fold.
/// Moments are raw (not shifted): a shift would make sparse codes dense. In float64 the cancellation in
/// S − n·μ_i·μ_j stays far below the 1e-9 the sparse and dense paths agree to for activations whose mean is
/// not many orders of magnitude above their spread.
/// </summary>
public sealed class SparseMoments
{
    private readonly int folds;
    private readonly byte[] foldOf;
    private readonly long[] foldRows;
    private readonly double[] sumX, squaresX, sumY, squaresY; // [fold * units + unit]
    private readonly SparseCodes x, y;
    private readonly Columns columnsX, columnsY;

    private SparseMoments(SparseCodes x, SparseCodes y, byte[] foldOf, int folds)
    {
        this.x = x;
        this.y = y;
        this.foldOf = foldOf;
        this.folds = folds;
        foldRows = new long[folds];
        foreach (var fold in foldOf) foldRows[fold]++;
        (sumX, squaresX, VaryingSource) = UnitSums(x, foldOf, folds);
        (sumY, squaresY, VaryingTarget) = ReferenceEquals(x, y) ? (sumX, squaresX, VaryingSource) : UnitSums(y, foldOf, folds);
        columnsX = Columns.From(x);
        columnsY = ReferenceEquals(x, y) ? columnsX : Columns.From(y);
    }

    public int SourceUnits => x.Columns;
    public int TargetUnits => y.Columns;
    public int Folds => folds;

    /// <summary>Whether each unit takes more than one value over all rows (constant units are dropped, as on the dense path).</summary>
    public bool[] VaryingSource { get; }
    public bool[] VaryingTarget { get; }

    /// <param name="bucketOfRow">Each row's fold (empty: one bucket).</param>
    public static SparseMoments Collect(SparseCodes x, SparseCodes y, ReadOnlySpan<byte> bucketOfRow, int buckets, CancellationToken ct)
    {
        if (x.Rows != y.Rows) throw new ArgumentException($"{x.Rows} source rows but {y.Rows} target rows.");
        ct.ThrowIfCancellationRequested();
        return new SparseMoments(x, y, bucketOfRow.IsEmpty ? new byte[x.Rows] : bucketOfRow.ToArray(), buckets);
    }

    // Buffers go back to a pool when a parallel loop ends: solvers run thousands of short loops (one per priced block),
    // and a fresh buffer per loop and thread is large-object garbage.
    private readonly ConcurrentBag<CrossSums> sourceBuffers = [], targetBuffers = [];

    /// <summary>A buffer for one source unit's cross sums against every target (one per thread); give it back with <see cref="Return"/>.</summary>
    public CrossSums ForSource() => sourceBuffers.TryTake(out var buffer) ? buffer : new(TargetUnits, folds);

    /// <summary>A buffer for one target unit's cross sums against every source (one per thread); give it back with <see cref="Return"/>.</summary>
    public CrossSums ForTarget() => targetBuffers.TryTake(out var buffer) ? buffer : new(SourceUnits, folds);

    public void Return(CrossSums buffer) => (buffer.Units == TargetUnits ? sourceBuffers : targetBuffers).Add(buffer);

    /// <summary>Fills <paramref name="into"/> (cleared first) with source unit <paramref name="i"/>'s per-fold Σ x_i y_j.</summary>
    public void SourceCross(int i, CrossSums into) => into.Fill(columnsX, i, y, foldOf);

    /// <summary>Fills <paramref name="into"/> (cleared first) with target unit <paramref name="j"/>'s per-fold Σ x_i y_j.</summary>
    public void TargetCross(int j, CrossSums into) => into.Fill(columnsY, j, x, foldOf);

    /// <summary>Per-fold Σ x_i y_j of one pair, over the rows where both are nonzero, in ascending row order as <see cref="CrossSums"/> adds them.</summary>
    private void PairSums(int i, int j, Span<double> perFold)
    {
        perFold.Clear();
        ReadOnlySpan<int> rowsX = columnsX.RowsOf(i), rowsY = columnsY.RowsOf(j);
        ReadOnlySpan<float> valuesX = columnsX.ValuesOf(i), valuesY = columnsY.ValuesOf(j);
        // Walk the shorter column and find its rows in the longer one; rows ascend in both.
        bool xShorter = rowsX.Length <= rowsY.Length;
        var shortRows = xShorter ? rowsX : rowsY;
        var shortValues = xShorter ? valuesX : valuesY;
        var longRows = xShorter ? rowsY : rowsX;
        var longValues = xShorter ? valuesY : valuesX;
        int from = 0;
        for (int e = 0; e < shortRows.Length && from < longRows.Length; e++)
        {
            int found = longRows[from..].BinarySearch(shortRows[e]);
            if (found < 0)
            {
                from += ~found;
                continue;
            }
            from += found;
            double xv = xShorter ? shortValues[e] : longValues[from];
            double yv = xShorter ? longValues[from] : shortValues[e];
            perFold[foldOf[shortRows[e]]] += xv * yv;
            from++;
        }
    }

    /// <summary>
    /// The rows a fit or a score uses: for cross-validation, fit = every fold but <paramref name="fold"/> and test =
    /// <paramref name="fold"/>; with one bucket both are all rows.
    /// </summary>
    public RowSet Fit(int fold) => folds == 1 ? new RowSet(this, -1, false) : new RowSet(this, fold, true);

    public RowSet Test(int fold) => folds == 1 ? new RowSet(this, -1, false) : new RowSet(this, fold, false);

    /// <summary>Every row, whatever the folds.</summary>
    public RowSet All() => new(this, -1, false);

    /// <summary>
    /// One unit's per-fold cross sums against every unit of the other set, and which of those units it is co-active
    /// with. Reused unit after unit: filling clears only what the previous unit touched.
    /// </summary>
    public sealed class CrossSums
    {
        private readonly double[] sums;  // [fold * units + unit]
        private readonly bool[] touched;
        private readonly int[] list;

        internal CrossSums(int units, int folds)
        {
            Units = units;
            sums = new double[(long)units * folds];
            touched = new bool[units];
            list = new int[units];
        }

        public int Units { get; }

        /// <summary>The co-active units, in the order the rows first reached them.</summary>
        public ReadOnlySpan<int> CoActive => list.AsSpan(0, Count);

        public int Count { get; private set; }

        public bool IsCoActive(int unit) => touched[unit];

        internal double[] Sums => sums;

        internal void Fill(Columns along, int unit, SparseCodes other, byte[] foldOf)
        {
            int folds = sums.Length / Math.Max(1, Units);
            foreach (int u in CoActive)
            {
                touched[u] = false;
                for (int f = 0; f < folds; f++) sums[(long)f * Units + u] = 0;
            }
            Count = 0;
            ReadOnlySpan<int> rows = along.RowsOf(unit);
            ReadOnlySpan<float> values = along.ValuesOf(unit);
            for (int e = 0; e < rows.Length; e++)
            {
                int row = rows[e];
                double v = values[e];
                long offset = (long)foldOf[row] * Units;
                var index = other.RowIndex(row);
                var otherValues = other.RowValues(row);
                for (int k = 0; k < index.Length; k++)
                {
                    int u = index[k];
                    if (!touched[u])
                    {
                        touched[u] = true;
                        list[Count++] = u;
                    }
                    sums[offset + u] += v * otherValues[k];
                }
            }
        }
    }

    /// <summary>
    /// One set of rows (a fit or a test set) and the correlation of any pair over it, computed exactly as the
    /// dense path does: (Σ x_i y_j − n μ_i μ_j) / (σ_i σ_j), 0 when either unit is constant on these rows,
    /// clamped to [−1, 1].
    /// </summary>
    public sealed class RowSet
    {
        private readonly SparseMoments m;
        private readonly int fold;
        private readonly bool excluding;

        internal RowSet(SparseMoments moments, int fold, bool excluding)
        {
            m = moments;
            this.fold = fold;
            this.excluding = excluding;
            Count = fold < 0 ? m.foldRows.Sum() : excluding ? m.foldRows.Sum() - m.foldRows[fold] : m.foldRows[fold];
            (MeanX, ScaleX) = Stats(m.sumX, m.squaresX, m.SourceUnits);
            (MeanY, ScaleY) = Stats(m.sumY, m.squaresY, m.TargetUnits);
        }

        public long Count { get; }
        /// <summary>Per unit mean and √Σ(x − μ)² over these rows.</summary>
        public double[] MeanX { get; }
        public double[] ScaleX { get; }
        public double[] MeanY { get; }
        public double[] ScaleY { get; }

        /// <summary>Σ x_i y_j over these rows of the unit <paramref name="unit"/> of a filled <see cref="CrossSums"/>.</summary>
        public double Sum(CrossSums cross, int unit) => Pick(cross.Sums, unit, cross.Units);

        /// <summary>
        /// ‖X_cᵀY_c‖²_F over these rows, with X and Y centred: Σ_ij (S_ij − n·μ_i·ν_j)². Pairs never active together
        /// have S_ij = 0, so the sum is n²·Σμ_i²·Σν_j² plus, over the co-active pairs, (S − nμν)² − (nμν)²: exact, a pass
        /// over the co-active pairs instead of a x b terms. Units outside <paramref name="sources"/> / <paramref name="targets"/> are left out.
        /// </summary>
        public double CentredCrossNormSquared(int[] sources, int[] targets, CancellationToken ct)
        {
            var inTarget = new bool[m.TargetUnits];
            foreach (int j in targets) inTarget[j] = true;
            double meanX = 0, meanY = 0;
            foreach (int i in sources) meanX += MeanX[i] * MeanX[i];
            foreach (int j in targets) meanY += MeanY[j] * MeanY[j];
            // Per-source partial sums added in source order: the same total on any thread count.
            var partial = new double[sources.Length];
            Parallel.For(0, sources.Length, new ParallelOptions { CancellationToken = ct }, m.ForSource, (s, _, cross) =>
            {
                int i = sources[s];
                m.SourceCross(i, cross);
                double total = 0;
                foreach (int j in cross.CoActive)
                {
                    if (!inTarget[j]) continue;
                    double product = Count * MeanX[i] * MeanY[j];
                    double centred = Sum(cross, j) - product;
                    total += centred * centred - product * product;
                }
                partial[s] = total;
                return cross;
            }, m.Return);
            return (double)Count * Count * meanX * meanY + partial.Sum();
        }

        public double Correlation(int i, int j, double crossSum)
        {
            double scale = ScaleX[i] * ScaleY[j];
            return scale > 0 ? Math.Clamp((crossSum - Count * MeanX[i] * MeanY[j]) / scale, -1, 1) : 0;
        }

        public double Correlation(int i, int j)
        {
            Span<double> perFold = m.folds <= 64 ? stackalloc double[m.folds] : new double[m.folds];
            m.PairSums(i, j, perFold);
            return Correlation(i, j, Pick(perFold, 0, 1));
        }

        /// <summary>
        /// Fills <paramref name="into"/> (rows x <paramref name="targets"/>.Length, row-major) with the correlations of
        /// <paramref name="sources"/>[first..first + rows) against <paramref name="targets"/>: the closed form everywhere,
        /// then the co-active pairs, from <paramref name="cache"/> (keyed by source position) when it holds the row.
        /// </summary>
        public void CorrelationRows(int[] sources, int first, int rows, int[] targets, int[] positionOfTarget, Memory<double> into,
            CoActiveCache? cache, CancellationToken ct)
        {
            Parallel.For(0, rows, new ParallelOptions { CancellationToken = ct }, m.ForSource, (r, _, cross) =>
            {
                int s = first + r, i = sources[s];
                var row = into.Span.Slice(r * targets.Length, targets.Length);
                for (int t = 0; t < targets.Length; t++) row[t] = Correlation(i, targets[t], 0);
                if (cache is not null && cache.TryGet(s, out var cachedTargets, out var cachedValues))
                {
                    for (int p = 0; p < cachedTargets.Length; p++) row[cachedTargets[p]] = cachedValues[p];
                    return cross;
                }
                m.SourceCross(i, cross);
                var pairs = cache is null ? null : new List<(int Target, double Correlation)>(cross.Count);
                foreach (int j in cross.CoActive)
                {
                    int t = positionOfTarget[j];
                    if (t < 0) continue;
                    row[t] = Correlation(i, j, Sum(cross, j));
                    pairs?.Add((t, row[t]));
                }
                if (pairs is not null && cache!.HasRoom(pairs.Count))
                    cache.Offer(s, pairs.Select(p => p.Target).ToArray(), pairs.Select(p => p.Correlation).ToArray());
                return cross;
            }, m.Return);
        }

        private double Pick(ReadOnlySpan<double> values, long unit, long stride)
        {
            if (!excluding) return fold < 0 ? Total(values, unit, stride) : values[(int)(unit + fold * stride)];
            return Total(values, unit, stride) - values[(int)(unit + fold * stride)];
        }

        private double Total(ReadOnlySpan<double> values, long unit, long stride)
        {
            double total = 0;
            for (int f = 0; f < m.folds; f++) total += values[(int)(unit + f * stride)];
            return total;
        }

        private (double[] Mean, double[] Scale) Stats(double[] sums, double[] squares, int units)
        {
            var mean = new double[units];
            var scale = new double[units];
            for (int u = 0; u < units; u++)
            {
                double sum = Pick(sums, u, units), square = Pick(squares, u, units);
                mean[u] = Count > 0 ? sum / Count : 0;
                scale[u] = PairMoments.Spread(square, sum, mean[u], Count);
            }
            return (mean, scale);
        }
    }

    private static (double[] Sums, double[] Squares, bool[] Varying) UnitSums(SparseCodes codes, byte[] foldOf, int folds)
    {
        int units = codes.Columns;
        var sums = new double[(long)units * folds];
        var squares = new double[(long)units * folds];
        var count = new long[units];
        var min = new float[units];
        var max = new float[units];
        for (int r = 0; r < codes.Rows; r++)
        {
            var index = codes.RowIndex(r);
            var value = codes.RowValues(r);
            long offset = (long)foldOf[r] * units;
            for (int e = 0; e < index.Length; e++)
            {
                int u = index[e];
                double v = value[e];
                sums[offset + u] += v;
                squares[offset + u] += v * v;
                if (count[u] == 0 || value[e] < min[u]) min[u] = value[e];
                if (count[u] == 0 || value[e] > max[u]) max[u] = value[e];
                count[u]++;
            }
        }
        // A unit varies when it is zero on some rows and not on others, or takes two different nonzero values.
        var varying = new bool[units];
        for (int u = 0; u < units; u++) varying[u] = (count[u] > 0 && count[u] < codes.Rows) || (count[u] > 0 && max[u] > min[u]);
        return (sums, squares, varying);
    }

    /// <summary>Column-major copy of a set's entries: for each unit, its rows (ascending) and values.</summary>
    internal sealed record Columns(long[] Start, int[] Row, float[] Value)
    {
        public ReadOnlySpan<int> RowsOf(int unit) => Row.AsSpan((int)Start[unit], (int)(Start[unit + 1] - Start[unit]));

        public ReadOnlySpan<float> ValuesOf(int unit) => Value.AsSpan((int)Start[unit], (int)(Start[unit + 1] - Start[unit]));

        public static Columns From(SparseCodes codes)
        {
            var start = new long[codes.Columns + 1];
            foreach (int u in codes.Index) start[u + 1]++;
            for (int u = 0; u < codes.Columns; u++) start[u + 1] += start[u];
            var next = (long[])start.Clone();
            var row = new int[codes.Entries];
            var value = new float[codes.Entries];
            for (int r = 0; r < codes.Rows; r++)
            {
                var index = codes.RowIndex(r);
                var values = codes.RowValues(r);
                for (int e = 0; e < index.Length; e++)
                {
                    long at = next[index[e]]++;
                    row[at] = r;
                    value[at] = values[e];
                }
            }
            return new Columns(start, row, value);
        }
    }
}
