using SaeAlign.Core;
using TorchSharp;
using static TorchSharp.torch;

namespace SaeAlign.Alignment;

/// <summary>
/// The live (non-constant) units of an activation set or of sparse codes, for the null replicates
/// (<see cref="MomentNull"/>, <see cref="RidgeNull"/>). A row centred about the units' means over all rows is
/// −<see cref="Mean"/> plus the raw values the row holds (<see cref="Load"/>: every live unit of a dense row, the
/// active ones of a sparse code), so products with sparse codes go entry by entry: a k-sparse row costs k, not the width.
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

    /// <summary>Each live unit's mean over all rows.</summary>
    public double[] Mean { get; }

    /// <summary>Whether rows hold few of the units (a quarter or less on average): products then go entry by entry.</summary>
    public abstract bool Sparse { get; }

    /// <summary>The most entries a row holds.</summary>
    public abstract int MaxEntries { get; }

    /// <summary>Rows <paramref name="rows"/>, live units only, minus their means, row-major into <paramref name="into"/>.</summary>
    public abstract void Fill(ReadOnlySpan<int> rows, double[] into);

    /// <summary>
    /// The raw values rows <paramref name="rows"/> hold, by live position, into <paramref name="block"/> (the centred
    /// row is these minus <see cref="Mean"/>). One pass over the chunk first, so that the scattered reads of permuted
    /// rows overlap instead of each stalling the arithmetic.
    /// </summary>
    public abstract void Load(ReadOnlySpan<int> rows, EntryBlock block);

    private double[]? centredRows;

    /// <summary>A block for up to <paramref name="rows"/> of these rows.</summary>
    public EntryBlock Block(int rows) => new(rows, MaxEntries);

    /// <summary>
    /// Row k of <paramref name="block"/> centred about <see cref="Mean"/> + <paramref name="shift"/>, times
    /// <paramref name="right"/> (Width x <paramref name="columns"/>, row-major), into row k of <paramref name="into"/>;
    /// the centred row's squared norm into <paramref name="norms"/>[k] when given. One GEMM for dense rows, one scaled
    /// row of <paramref name="right"/> per entry for sparse ones.
    /// </summary>
    public void Project(EntryBlock block, ReadOnlySpan<double> shift, double[] right, int columns, double[] into, double[]? norms)
    {
        int w = Width, rows = block.Rows;
        var offset = new double[w];
        for (int p = 0; p < w; p++) offset[p] = -Mean[p] - shift[p];
        if (!Sparse)
        {
            // Reused across calls (one LiveRows serves one comparison at a time): a fresh array per chunk and replicate
            // would be a large object each time.
            if (centredRows is null || centredRows.Length < rows * w) centredRows = new double[rows * w];
            var centred = centredRows;
            for (int k = 0; k < rows; k++)
            {
                var row = centred.AsSpan(k * w, w);
                offset.CopyTo(row);
                var positions = block.PositionsOf(k);
                var values = block.ValuesOf(k);
                for (int e = 0; e < positions.Length; e++) row[positions[e]] += values[e];
                if (norms is not null)
                {
                    double norm = 0;
                    foreach (double v in row) norm += v * v;
                    norms[k] = norm;
                }
            }
            using var scope = torch.NewDisposeScope();
            var product = torch.mm(torch.frombuffer(centred, ScalarType.Float64).narrow(0, 0, (long)rows * w).view(rows, w), torch.frombuffer(right, ScalarType.Float64).view(w, columns));
            torch.frombuffer(into, ScalarType.Float64).narrow(0, 0, (long)rows * columns).view(rows, columns).copy_(product);
            return;
        }
        // Centred row = offset + entries, so its product is offset·right (once) plus one scaled row of right per entry.
        var start = new double[columns];
        double startNorm = 0;
        for (int p = 0; p < w; p++)
        {
            Dense.Axpy(offset[p], right.AsSpan(p * columns, columns), start);
            startNorm += offset[p] * offset[p];
        }
        for (int k = 0; k < rows; k++)
        {
            var product = into.AsSpan(k * columns, columns);
            start.CopyTo(product);
            var positions = block.PositionsOf(k);
            var values = block.ValuesOf(k);
            double norm = startNorm;
            for (int e = 0; e < positions.Length; e++)
            {
                int p = positions[e];
                double v = values[e];
                Dense.Axpy(v, right.AsSpan(p * columns, columns), product);
                norm += v * (v + 2 * offset[p]);
            }
            if (norms is not null) norms[k] = norm;
        }
    }

    /// <summary>
    /// Adds Σ_k s_k t_kᵀ to <paramref name="products"/> (Width x target width, row-major): the raw entries s of row k
    /// of <paramref name="block"/> times those t of row k of <paramref name="targetBlock"/> (rows of
    /// <paramref name="target"/>). Entry by entry, for pairs where a side is <see cref="Sparse"/> (dense pairs are one
    /// GEMM instead).
    /// </summary>
    public void AddProducts(EntryBlock block, LiveRows target, EntryBlock targetBlock, double[] products)
    {
        int b = target.Width;
        for (int k = 0; k < block.Rows; k++)
        {
            var positions = block.PositionsOf(k);
            var values = block.ValuesOf(k);
            var targetPositions = targetBlock.PositionsOf(k);
            var targetValues = targetBlock.ValuesOf(k);
            for (int e = 0; e < positions.Length; e++)
            {
                var row = products.AsSpan(positions[e] * b, b);
                double v = values[e];
                // A dense target row holds every unit in order.
                if (targetValues.Length == b) Dense.Axpy(v, targetValues, row);
                else
                    for (int f = 0; f < targetPositions.Length; f++) row[targetPositions[f]] += v * targetValues[f];
            }
        }
    }

    /// <summary>
    /// Adds Σ_k w_k ⊗ s_k s_kᵀ, Σ_k w_k ⊗ s_k and Σ_k w_k (weights of row k: <paramref name="weights"/>[k·stride ..], stride
    /// weights a row) to <paramref name="products"/> ([Width, Width, stride]), <paramref name="sums"/> ([Width, stride]) and
    /// <paramref name="totals"/> ([stride]): weighted second moments of the raw entries of sparse rows.
    /// </summary>
    public void AddWeightedProducts(EntryBlock block, ReadOnlySpan<double> weights, int stride, double[] products, double[] sums, double[] totals)
    {
        for (int k = 0; k < block.Rows; k++)
        {
            var w = weights.Slice(k * stride, stride);
            Dense.Axpy(1, w, totals);
            var positions = block.PositionsOf(k);
            var values = block.ValuesOf(k);
            for (int e = 0; e < positions.Length; e++)
            {
                int p = positions[e];
                double v = values[e];
                Dense.Axpy(v, w, sums.AsSpan(p * stride, stride));
                for (int f = 0; f < positions.Length; f++)
                    Dense.Axpy(v * values[f], w, products.AsSpan((p * Width + positions[f]) * stride, stride));
            }
        }
    }

    public static LiveRows Of(ActivationSet set) => new DenseRows(set);

    public static LiveRows Of(SparseCodes codes) => new SparseRows(codes);

    private sealed class DenseRows : LiveRows
    {
        private readonly ActivationSet set;

        public DenseRows(ActivationSet set) : this(set, Scan(set)) { }

        private DenseRows(ActivationSet set, (int[] Live, double[] Mean) scan) : base(set.Rows, scan.Live, scan.Mean) => this.set = set;

        public override bool Sparse => false;

        public override int MaxEntries => Width;

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

        public override void Load(ReadOnlySpan<int> rows, EntryBlock block)
        {
            block.Rows = rows.Length;
            for (int k = 0; k < rows.Length; k++)
            {
                var raw = set.Row(rows[k]);
                var positions = block.Slots(k, Width, out var values);
                for (int p = 0; p < Width; p++)
                {
                    positions[p] = p;
                    values[p] = raw[Live[p]];
                }
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
            int most = 0;
            for (int r = 0; r < codes.Rows; r++) most = Math.Max(most, (int)(codes.RowStart[r + 1] - codes.RowStart[r]));
            MaxEntries = most;
            Sparse = 4L * codes.Entries <= (long)codes.Rows * Width;
        }

        public override bool Sparse { get; }

        public override int MaxEntries { get; }

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

        public override void Load(ReadOnlySpan<int> rows, EntryBlock block)
        {
            block.Rows = rows.Length;
            // Where each row's entries start, in a loop of independent reads (they overlap), then the entries.
            var starts = block.Starts;
            for (int k = 0; k < rows.Length; k++) starts[k] = codes.RowStart[rows[k]];
            for (int k = 0; k < rows.Length; k++)
            {
                int from = (int)starts[k], length = (int)(codes.RowStart[rows[k] + 1] - from);
                var positions = block.Slots(k, length, out var values);
                int count = 0;
                for (int e = from; e < from + length; e++)
                    if (position[codes.Index[e]] is var p and >= 0)
                    {
                        positions[count] = p;
                        values[count++] = codes.Value[e];
                    }
                block.Count[k] = count;
            }
        }
    }
}

/// <summary>A chunk of rows' raw entries (<see cref="LiveRows.Load"/>): row k holds Count[k] (position, value) pairs.</summary>
internal sealed class EntryBlock(int capacity, int maxEntries)
{
    public int Rows { get; set; }
    public int[] Count { get; } = new int[capacity];
    public long[] Starts { get; } = new long[capacity];
    private readonly int[] positions = new int[capacity * maxEntries];
    private readonly double[] values = new double[capacity * maxEntries];

    public ReadOnlySpan<int> PositionsOf(int row) => positions.AsSpan(row * maxEntries, Count[row]);

    public ReadOnlySpan<double> ValuesOf(int row) => values.AsSpan(row * maxEntries, Count[row]);

    /// <summary>Row <paramref name="row"/>'s slots for <paramref name="count"/> entries (its count set to that).</summary>
    public Span<int> Slots(int row, int count, out Span<double> rowValues)
    {
        Count[row] = count;
        rowValues = values.AsSpan(row * maxEntries, count);
        return positions.AsSpan(row * maxEntries, count);
    }
}
