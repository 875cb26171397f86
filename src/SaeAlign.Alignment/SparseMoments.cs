using SaeAlign.Core;

namespace SaeAlign.Alignment;

/// <summary>
/// Per-fold second moments of two sparse activation sets, kept sparse: per unit and fold the count, Σx and Σx²;
/// per co-active pair (i, j) — a pair that is nonzero together in at least one row — Σ x_i y_j per fold. A pair
/// absent from the table has Σ x_i y_j = 0 in every fold, so its correlation on any rows follows from the two units'
/// sums alone. Cost: Σ_rows nnz(x)·nnz(y) multiply-adds (20 M for 20,000 rows of k = 32 codes) instead of
/// N·a·b, and memory per co-active pair instead of a·b per fold.
/// Moments are raw (not shifted): a shift would make sparse codes dense. In float64 the cancellation in
/// S − n·μ_i·μ_j stays far below the 1e-9 the sparse and dense paths agree to for activations whose mean is
/// not many orders of magnitude above their spread.
/// </summary>
public sealed class SparseMoments
{
    private readonly int folds;
    private readonly long[] foldRows;
    private readonly double[] sumX, squaresX, sumY, squaresY; // [unit * folds + fold]
    private readonly long[] pairStart;                         // source unit -> first pair
    private readonly int[] pairTarget;                         // target of each pair, ascending within a source
    private readonly double[] pairSums;                        // [pair * folds + fold]

    private SparseMoments(int sourceUnits, int targetUnits, int folds, long[] foldRows, double[] sumX, double[] squaresX, double[] sumY,
        double[] squaresY, long[] pairStart, int[] pairTarget, double[] pairSums, bool[] varyingX, bool[] varyingY)
    {
        SourceUnits = sourceUnits;
        TargetUnits = targetUnits;
        this.folds = folds;
        this.foldRows = foldRows;
        this.sumX = sumX;
        this.squaresX = squaresX;
        this.sumY = sumY;
        this.squaresY = squaresY;
        this.pairStart = pairStart;
        this.pairTarget = pairTarget;
        this.pairSums = pairSums;
        VaryingSource = varyingX;
        VaryingTarget = varyingY;
    }

    public int SourceUnits { get; }
    public int TargetUnits { get; }
    public int Folds => folds;

    /// <summary>Co-active (source, target) pairs stored.</summary>
    public long Pairs => pairTarget.Length;

    /// <summary>Whether each unit takes more than one value over all rows (constant units are dropped, as on the dense path).</summary>
    public bool[] VaryingSource { get; }
    public bool[] VaryingTarget { get; }

    /// <summary>Bytes the moments hold, for the memory report.</summary>
    public long Bytes => pairTarget.LongLength * (4 + 8L * folds) + pairStart.LongLength * 8 + 16L * folds * (SourceUnits + TargetUnits);

    /// <param name="bucketOfRow">Each row's fold (empty: one bucket).</param>
    public static SparseMoments Collect(SparseCodes x, SparseCodes y, ReadOnlySpan<byte> bucketOfRow, int buckets, CancellationToken ct)
    {
        if (x.Rows != y.Rows) throw new ArgumentException($"{x.Rows} source rows but {y.Rows} target rows.");
        int n = x.Rows, a = x.Columns, b = y.Columns, f = buckets;
        var foldOf = bucketOfRow.IsEmpty ? new byte[n] : bucketOfRow.ToArray();
        var foldRows = new long[f];
        foreach (var fold in foldOf) foldRows[fold]++;
        var (sumX, squaresX, varyingX) = UnitSums(x, foldOf, f);
        var (sumY, squaresY, varyingY) = UnitSums(y, foldOf, f);

        // Source-major co-activations (Gustavson): for each source unit, its rows; for each row, the target's nonzeros.
        // A counting pass sizes the table exactly, so its memory is the pairs' and never a growing list's twice that.
        var (columnStart, columnRow, columnValue) = Transpose(x);
        var touched = new int[b];
        var mark = new bool[b];
        var pairStart = new long[a + 1];
        for (int i = 0; i < a; i++)
        {
            if ((i & 255) == 0) ct.ThrowIfCancellationRequested();
            int count = Touch(i, columnStart, columnRow, y, mark, touched);
            for (int t = 0; t < count; t++) mark[touched[t]] = false;
            pairStart[i + 1] = pairStart[i] + count;
        }
        var targets = new int[pairStart[a]];
        var sums = new double[pairStart[a] * f];
        var accumulator = new double[(long)b * f];
        for (int i = 0; i < a; i++)
        {
            if ((i & 255) == 0) ct.ThrowIfCancellationRequested();
            for (long e = columnStart[i]; e < columnStart[i + 1]; e++)
            {
                int row = columnRow[e];
                double xv = columnValue[e];
                int fold = foldOf[row];
                var index = y.RowIndex(row);
                var value = y.RowValues(row);
                for (int k = 0; k < index.Length; k++) accumulator[(long)index[k] * f + fold] += xv * value[k];
            }
            int count = Touch(i, columnStart, columnRow, y, mark, touched);
            Array.Sort(touched, 0, count);
            for (int t = 0; t < count; t++)
            {
                int j = touched[t];
                long pair = pairStart[i] + t;
                targets[pair] = j;
                for (int fold = 0; fold < f; fold++)
                {
                    sums[pair * f + fold] = accumulator[(long)j * f + fold];
                    accumulator[(long)j * f + fold] = 0;
                }
                mark[j] = false;
            }
        }
        return new SparseMoments(a, b, f, foldRows, sumX, squaresX, sumY, squaresY, pairStart, targets, sums, varyingX, varyingY);
    }

    /// <summary>Marks and lists the targets active in any row where source unit <paramref name="i"/> is; returns how many.</summary>
    private static int Touch(int i, long[] columnStart, int[] columnRow, SparseCodes y, bool[] mark, int[] touched)
    {
        int count = 0;
        for (long e = columnStart[i]; e < columnStart[i + 1]; e++)
        {
            foreach (int j in y.RowIndex(columnRow[e]))
            {
                if (mark[j]) continue;
                mark[j] = true;
                touched[count++] = j;
            }
        }
        return count;
    }

    /// <summary>
    /// The rows a fit or a score uses: for cross-validation, fit = every fold but <paramref name="fold"/> and test =
    /// <paramref name="fold"/>; with one bucket both are all rows.
    /// </summary>
    public RowSet Fit(int fold) => folds == 1 ? new RowSet(this, -1, false) : new RowSet(this, fold, true);

    public RowSet Test(int fold) => folds == 1 ? new RowSet(this, -1, false) : new RowSet(this, fold, false);

    /// <summary>Every row, whatever the folds.</summary>
    public RowSet All() => new(this, -1, false);

    /// <summary>The stored targets co-active with source unit <paramref name="i"/>, ascending.</summary>
    public ReadOnlySpan<int> TargetsOf(int i) => pairTarget.AsSpan((int)pairStart[i], (int)(pairStart[i + 1] - pairStart[i]));

    /// <summary>Index in the table of source unit <paramref name="i"/>'s first pair; its pairs follow in <see cref="TargetsOf"/>'s order.</summary>
    public long FirstPair(int i) => pairStart[i];

    /// <summary>Index of pair (i, j) in the table, or −1 when the two are never active together.</summary>
    public long PairIndex(int i, int j)
    {
        int start = (int)pairStart[i];
        int found = Array.BinarySearch(pairTarget, start, (int)(pairStart[i + 1] - start), j);
        return found >= 0 ? found : -1;
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

        /// <summary>Σ x_i y_j of stored pair <paramref name="pair"/> over these rows.</summary>
        public double PairSum(long pair) => Pick(m.pairSums, pair);

        /// <summary>
        /// ‖X_cᵀY_c‖²_F over these rows, with X and Y centred: Σ_ij (S_ij − n·μ_i·ν_j)². Pairs never active together
        /// have S_ij = 0, so the sum is n²·Σμ_i²·Σν_j² plus, over the stored pairs, (S − nμν)² − (nμν)²: exact, a pass
        /// over the pairs instead of a x b terms. Units outside <paramref name="sources"/> / <paramref name="targets"/> are left out.
        /// </summary>
        public double CentredCrossNormSquared(int[] sources, int[] targets)
        {
            var inTarget = new bool[m.TargetUnits];
            foreach (int j in targets) inTarget[j] = true;
            double meanX = 0, meanY = 0;
            foreach (int i in sources) meanX += MeanX[i] * MeanX[i];
            foreach (int j in targets) meanY += MeanY[j] * MeanY[j];
            double total = (double)Count * Count * meanX * meanY;
            foreach (int i in sources)
            {
                var pairTargets = m.TargetsOf(i);
                long start = m.pairStart[i];
                for (int p = 0; p < pairTargets.Length; p++)
                {
                    int j = pairTargets[p];
                    if (!inTarget[j]) continue;
                    double product = Count * MeanX[i] * MeanY[j];
                    double centred = PairSum(start + p) - product;
                    total += centred * centred - product * product;
                }
            }
            return total;
        }

        public double Correlation(int i, int j, double crossSum)
        {
            double scale = ScaleX[i] * ScaleY[j];
            return scale > 0 ? Math.Clamp((crossSum - Count * MeanX[i] * MeanY[j]) / scale, -1, 1) : 0;
        }

        public double Correlation(int i, int j)
        {
            long pair = m.PairIndex(i, j);
            return Correlation(i, j, pair < 0 ? 0 : PairSum(pair));
        }

        /// <summary>
        /// Fills <paramref name="into"/> (rows x <paramref name="targets"/>.Length, row-major) with the correlations of
        /// <paramref name="sources"/>[first..first + rows) against <paramref name="targets"/>: the closed form everywhere,
        /// then the stored pairs.
        /// </summary>
        public void CorrelationRows(int[] sources, int first, int rows, int[] targets, int[] positionOfTarget, Span<double> into)
        {
            for (int r = 0; r < rows; r++)
            {
                int i = sources[first + r];
                var row = into.Slice(r * targets.Length, targets.Length);
                for (int t = 0; t < targets.Length; t++) row[t] = Correlation(i, targets[t], 0);
                var coactive = m.TargetsOf(i);
                long start = m.pairStart[i];
                for (int p = 0; p < coactive.Length; p++)
                {
                    int t = positionOfTarget[coactive[p]];
                    if (t >= 0) row[t] = Correlation(i, coactive[p], PairSum(start + p));
                }
            }
        }

        private double Pick(double[] values, long unitOrPair)
        {
            long at = unitOrPair * m.folds;
            if (!excluding) return fold < 0 ? Total(values, at) : values[at + fold];
            return Total(values, at) - values[at + fold];
        }

        private double Total(double[] values, long at)
        {
            double total = 0;
            for (int f = 0; f < m.folds; f++) total += values[at + f];
            return total;
        }

        private (double[] Mean, double[] Scale) Stats(double[] sums, double[] squares, int units)
        {
            var mean = new double[units];
            var scale = new double[units];
            for (int u = 0; u < units; u++)
            {
                double sum = Pick(sums, u), square = Pick(squares, u);
                mean[u] = Count > 0 ? sum / Count : 0;
                scale[u] = PairMoments.Spread(square, sum, mean[u], Count);
            }
            return (mean, scale);
        }
    }

    private static (double[] Sums, double[] Squares, bool[] Varying) UnitSums(SparseCodes codes, byte[] foldOf, int folds)
    {
        var sums = new double[(long)codes.Columns * folds];
        var squares = new double[(long)codes.Columns * folds];
        var count = new long[codes.Columns];
        var min = new float[codes.Columns];
        var max = new float[codes.Columns];
        for (int r = 0; r < codes.Rows; r++)
        {
            var index = codes.RowIndex(r);
            var value = codes.RowValues(r);
            int fold = foldOf[r];
            for (int e = 0; e < index.Length; e++)
            {
                int u = index[e];
                double v = value[e];
                sums[(long)u * folds + fold] += v;
                squares[(long)u * folds + fold] += v * v;
                if (count[u] == 0 || value[e] < min[u]) min[u] = value[e];
                if (count[u] == 0 || value[e] > max[u]) max[u] = value[e];
                count[u]++;
            }
        }
        // A unit varies when it is zero on some rows and not on others, or takes two different nonzero values.
        var varying = new bool[codes.Columns];
        for (int u = 0; u < codes.Columns; u++) varying[u] = (count[u] > 0 && count[u] < codes.Rows) || (count[u] > 0 && max[u] > min[u]);
        return (sums, squares, varying);
    }

    /// <summary>Column-major copy of the entries: for each unit, its rows (ascending) and values.</summary>
    private static (long[] Start, int[] Row, float[] Value) Transpose(SparseCodes codes)
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
        return (start, row, value);
    }
}
