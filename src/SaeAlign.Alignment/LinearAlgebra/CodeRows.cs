using System.Numerics;
using System.Runtime.InteropServices;
using SaeAlign.Core;
using TorchSharp;
using static TorchSharp.torch;

namespace SaeAlign.Alignment;

/// <summary>
/// Some rows of one activation set (a fold's fit or test rows), its live units only, and the float64 products that
/// ridge on wide codes needs. A mostly nonzero set (neurons) is held dense and multiplied by libtorch's BLAS; SAE
/// codes are held by their nonzeros, row-major and column-major, so a product costs their nonzeros times the other
/// operand's width instead of rows x units. Each row of a sparse product is one thread's, summed in a fixed order,
/// so results do not depend on the thread count.
/// </summary>
internal abstract class CodeRows : IDisposable
{
    // Above this fraction of nonzeros a GEMM beats walking the nonzeros (measured: 512 ReLU neurons, 20,000 rows).
    private const double DenseFraction = 0.125;

    protected CodeRows(int rows, int units)
    {
        Rows = rows;
        Units = units;
    }

    public int Rows { get; }
    public int Units { get; }

    /// <summary>Whether a set is mostly nonzero, so that dense products beat sparse ones.</summary>
    public static bool IsDense(SparseCodes codes) => codes.Entries >= DenseFraction * codes.Rows * codes.Columns;

    /// <summary>Rows <paramref name="rows"/> (ascending) of <paramref name="codes"/>, units <paramref name="live"/> only.</summary>
    public static CodeRows Of(SparseCodes codes, int[] rows, int[] live) =>
        IsDense(codes) ? new DenseRows(codes, rows, live) : new SparseRows(codes, rows, live);

    /// <summary>Column sums, [units].</summary>
    public abstract Tensor Sums();

    /// <summary>|x_r|² per row, [rows].</summary>
    public abstract Tensor RowSquares();

    /// <summary>Whether the set is held by its nonzeros (products cost nonzeros, not rows x units).</summary>
    public abstract bool Sparse { get; }

    /// <summary>X R, [rows x m], for R [units x m].</summary>
    public abstract Tensor Times(Tensor right);

    /// <summary>
    /// X[first..first+count) R block after block, for R [units x m] prepared once: a pass over the rows per alpha
    /// would otherwise copy R per block. Each block's result is valid until the next is asked for.
    /// </summary>
    public abstract Func<int, int, Tensor> RowBlocks(Tensor right);

    /// <summary>X[:, first..first+count)ᵀ R, [count x m], for R [rows x m].</summary>
    public abstract Tensor TransposeTimes(Tensor right, int first, int count);

    /// <summary>XᵀX, [units x units].</summary>
    public abstract Tensor Gram();

    /// <summary>X Oᵀ, [rows x other.Rows], for rows of the same set.</summary>
    public abstract Tensor RowGram(CodeRows other);

    /// <summary>X[:, first..first+count) dense, [rows x count].</summary>
    public abstract Tensor Columns(int first, int count);

    public virtual void Dispose()
    {
    }

    /// <summary>
    /// A float64 CPU tensor's rows read in place by the sparse kernels (copied only when not contiguous, e.g.
    /// eigenvectors in LAPACK's column order). Keep it undisposed while its rows are read.
    /// </summary>
    protected sealed class RowsInPlace : IDisposable
    {
        private readonly Tensor contiguous;
        private readonly IntPtr data;

        public RowsInPlace(Tensor tensor)
        {
            contiguous = tensor.contiguous();
            Width = (int)tensor.shape[1];
            data = TensorData(contiguous.Handle);
        }

        // TorchSharp's own accessors copy (data<T>().ToArray()) or give an int-sized span (bytes), which overflows past 2 GB.
        [DllImport("LibTorchSharp", EntryPoint = "THSTensor_data")]
        private static extern IntPtr TensorData(IntPtr tensor);

        public int Width { get; }

        public unsafe ReadOnlySpan<double> Row(long index) => new((double*)data + index * Width, Width);

        public void Dispose() => contiguous.Dispose();
    }

    /// <summary>A tensor over a managed array, without a copy (libtorch pins the array until the tensor is freed).</summary>
    protected static Tensor Wrap(double[] values, params long[] shape) => torch.frombuffer(values, ScalarType.Float64).view(shape);

    private sealed class DenseRows : CodeRows
    {
        private readonly Tensor x;

        public DenseRows(SparseCodes codes, int[] rows, int[] live) : base(rows.Length, live.Length)
        {
            var position = SemiMatching.Positions(live, codes.Columns);
            var values = new double[(long)rows.Length * live.Length];
            for (int r = 0; r < rows.Length; r++)
            {
                var index = codes.RowIndex(rows[r]);
                var value = codes.RowValues(rows[r]);
                for (int e = 0; e < index.Length; e++)
                    if (position[index[e]] is var p and >= 0) values[(long)r * live.Length + p] = value[e];
            }
            x = Wrap(values, rows.Length, live.Length).DetachFromDisposeScope();
        }

        public override Tensor Sums() => x.sum([0]);
        public override Tensor RowSquares() => x.square().sum(1);
        public override bool Sparse => false;
        public override Tensor Times(Tensor right) => torch.mm(x, right);
        public override Func<int, int, Tensor> RowBlocks(Tensor right) => (first, count) => torch.mm(x.narrow(0, first, count), right);
        public override Tensor TransposeTimes(Tensor right, int first, int count) => torch.mm(x.narrow(1, first, count).t(), right);
        public override Tensor Gram() => torch.mm(x.t(), x);
        public override Tensor RowGram(CodeRows other) => torch.mm(x, ((DenseRows)other).x.t());
        public override Tensor Columns(int first, int count) => x.narrow(1, first, count);

        public override void Dispose() => x.Dispose();
    }

    private sealed class SparseRows : CodeRows
    {
        // Row-major: row r holds entries [rowStart[r], rowStart[r + 1]) of (unit position, value); column-major likewise.
        private readonly long[] rowStart, unitStart;
        private readonly int[] unitOf, rowOf;
        private readonly double[] rowValue, unitValue;

        public SparseRows(SparseCodes codes, int[] rows, int[] live) : base(rows.Length, live.Length)
        {
            var position = SemiMatching.Positions(live, codes.Columns);
            rowStart = new long[rows.Length + 1];
            unitStart = new long[live.Length + 1];
            for (int r = 0; r < rows.Length; r++)
            {
                int kept = 0;
                foreach (int u in codes.RowIndex(rows[r]))
                    if (position[u] >= 0)
                    {
                        kept++;
                        unitStart[position[u] + 1]++;
                    }
                rowStart[r + 1] = rowStart[r] + kept;
            }
            for (int p = 0; p < live.Length; p++) unitStart[p + 1] += unitStart[p];
            long entries = rowStart[rows.Length];
            unitOf = new int[entries];
            rowValue = new double[entries];
            rowOf = new int[entries];
            unitValue = new double[entries];
            var next = (long[])unitStart.Clone();
            for (int r = 0; r < rows.Length; r++)
            {
                var index = codes.RowIndex(rows[r]);
                var value = codes.RowValues(rows[r]);
                long at = rowStart[r];
                for (int e = 0; e < index.Length; e++)
                {
                    int p = position[index[e]];
                    if (p < 0) continue;
                    unitOf[at] = p;
                    rowValue[at++] = value[e];
                    long c = next[p]++;
                    rowOf[c] = r;
                    unitValue[c] = value[e];
                }
            }
        }

        private (int[] Index, double[] Value, long Start, long End) Row(int r) => (unitOf, rowValue, rowStart[r], rowStart[r + 1]);
        private (int[] Index, double[] Value, long Start, long End) Unit(int p) => (rowOf, unitValue, unitStart[p], unitStart[p + 1]);

        public override Tensor Sums()
        {
            var sums = new double[Units];
            for (int p = 0; p < Units; p++)
                for (long e = unitStart[p]; e < unitStart[p + 1]; e++) sums[p] += unitValue[e];
            return Wrap(sums, Units);
        }

        public override Tensor RowSquares()
        {
            var squares = new double[Rows];
            for (int r = 0; r < Rows; r++)
                for (long e = rowStart[r]; e < rowStart[r + 1]; e++) squares[r] += rowValue[e] * rowValue[e];
            return Wrap(squares, Rows);
        }

        public override bool Sparse => true;

        public override Tensor Times(Tensor right)
        {
            using var rows = new RowsInPlace(right);
            var output = new double[(long)Rows * rows.Width];
            Product(Rows, Row, rows, output);
            return Wrap(output, Rows, rows.Width);
        }

        public override Func<int, int, Tensor> RowBlocks(Tensor right)
        {
            // Read in place for as long as the caller's tensor lives; the contiguous view is the scope's to free.
            var rows = new RowsInPlace(right);
            int m = rows.Width;
            double[] output = [];
            return (first, count) =>
            {
                if (output.Length < (long)count * m) output = new double[(long)count * m];
                else Array.Clear(output);
                Product(count, r => Row(first + r), rows, output);
                return torch.frombuffer(output, ScalarType.Float64, (long)count * m).view(count, m);
            };
        }

        public override Tensor TransposeTimes(Tensor right, int first, int count)
        {
            using var rows = new RowsInPlace(right);
            var output = new double[(long)count * rows.Width];
            Product(count, k => Unit(first + k), rows, output);
            return Wrap(output, count, rows.Width);
        }

        public override Tensor Gram() => SparseProduct(Units, Unit, Row, Units);

        public override Tensor RowGram(CodeRows other)
        {
            var o = (SparseRows)other;
            return SparseProduct(Rows, Row, o.Unit, o.Rows);
        }

        public override Tensor Columns(int first, int count)
        {
            var values = new double[(long)Rows * count];
            for (int k = 0; k < count; k++)
                for (long e = unitStart[first + k]; e < unitStart[first + k + 1]; e++) values[(long)rowOf[e] * count + k] = unitValue[e];
            return Wrap(values, Rows, count);
        }

        /// <summary>Output[i, :] (zero) += Σ_e value_e · R[index_e, :] over the entries of <paramref name="entries"/>(i).</summary>
        private static void Product(int rows, Func<int, (int[] Index, double[] Value, long Start, long End)> entries, RowsInPlace right, double[] output) =>
            Parallel.For(0, rows, i =>
            {
                var (index, value, start, end) = entries(i);
                var into = output.AsSpan((int)((long)i * right.Width), right.Width);
                for (long e = start; e < end; e++) Dense.Axpy(value[e], right.Row(index[e]), into);
            });

        /// <summary>Out[i, j] = Σ_k L[i, k] R[k, j] with L given by <paramref name="left"/> and R by <paramref name="right"/>, both by their nonzeros.</summary>
        private static Tensor SparseProduct(int rows, Func<int, (int[] Index, double[] Value, long Start, long End)> left,
            Func<int, (int[] Index, double[] Value, long Start, long End)> right, int columns)
        {
            var output = new double[(long)rows * columns];
            Parallel.For(0, rows, i =>
            {
                var (index, value, start, end) = left(i);
                long offset = (long)i * columns;
                for (long e = start; e < end; e++)
                {
                    double v = value[e];
                    var (rIndex, rValue, rStart, rEnd) = right(index[e]);
                    for (long f = rStart; f < rEnd; f++) output[offset + rIndex[f]] += v * rValue[f];
                }
            });
            return Wrap(output, rows, columns);
        }
    }
}
