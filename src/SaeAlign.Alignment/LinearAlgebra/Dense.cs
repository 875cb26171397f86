using System.Numerics;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace SaeAlign.Alignment;

/// <summary>
/// Float64 linear algebra on <see cref="Matrix"/> through libtorch (its BLAS/LAPACK): GEMM, symmetric
/// eigendecomposition and SVD are where the metrics spend their time, and libtorch's kernels beat
/// hand-written loops at every size measured (see the alignment benchmarks).
/// </summary>
internal static class Dense
{
    /// <summary>y += a x, vectorised: the entry-by-entry products of sparse codes (a k-sparse row adds k scaled rows).</summary>
    public static void Axpy(double a, ReadOnlySpan<double> x, Span<double> y)
    {
        if (y.Length < x.Length) throw new ArgumentException("y is shorter than x.", nameof(y));
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            // Unchecked loads after the one length check: slicing spans per vector cost more than the arithmetic.
            ref double from = ref MemoryMarshal.GetReference(x);
            ref double to = ref MemoryMarshal.GetReference(y);
            var scale = new Vector<double>(a);
            for (; i <= x.Length - Vector<double>.Count; i += Vector<double>.Count)
                (Vector.LoadUnsafe(ref to, (nuint)i) + scale * Vector.LoadUnsafe(ref from, (nuint)i)).StoreUnsafe(ref to, (nuint)i);
        }
        for (; i < x.Length; i++) y[i] += a * x[i];
    }

    public static Tensor ToTensor(Matrix m) => torch.tensor(m.Data, [m.Rows, m.Columns], ScalarType.Float64);

    public static Matrix ToMatrix(Tensor t)
    {
        using var contiguous = t.to(ScalarType.Float64, CPU).contiguous();
        return new Matrix((int)t.shape[0], (int)t.shape[1], contiguous.data<double>().ToArray());
    }

    public static double[] ToVector(Tensor t)
    {
        using var contiguous = t.to(ScalarType.Float64, CPU).contiguous();
        return contiguous.data<double>().ToArray();
    }

    /// <summary>into[i] = x[i] (y[i] − shift[i]), vectorised (ridge's null replicates, per row and fold).</summary>
    public static void MultiplyDifference(ReadOnlySpan<double> x, ReadOnlySpan<double> y, ReadOnlySpan<double> shift, Span<double> into)
    {
        if (y.Length < x.Length || shift.Length < x.Length || into.Length < x.Length) throw new ArgumentException("the spans are shorter than x.");
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            ref double xs = ref MemoryMarshal.GetReference(x);
            ref double ys = ref MemoryMarshal.GetReference(y);
            ref double shifts = ref MemoryMarshal.GetReference(shift);
            ref double to = ref MemoryMarshal.GetReference(into);
            for (; i <= x.Length - Vector<double>.Count; i += Vector<double>.Count)
                (Vector.LoadUnsafe(ref xs, (nuint)i) * (Vector.LoadUnsafe(ref ys, (nuint)i) - Vector.LoadUnsafe(ref shifts, (nuint)i))).StoreUnsafe(ref to, (nuint)i);
        }
        for (; i < x.Length; i++) into[i] = x[i] * (y[i] - shift[i]);
    }

    /// <summary>Aᵀ B when <paramref name="transposeA"/>, else A B.</summary>
    public static Matrix Multiply(Matrix a, Matrix b, bool transposeA = false)
    {
        using var scope = torch.NewDisposeScope();
        var left = ToTensor(a);
        if (transposeA) left = left.t();
        return ToMatrix(torch.mm(left, ToTensor(b)));
    }

    /// <summary>Eigenvalues (ascending) and eigenvectors (columns) of a symmetric matrix.</summary>
    public static (double[] Values, Matrix Vectors) SymmetricEigen(Matrix symmetric)
    {
        using var scope = torch.NewDisposeScope();
        var (values, vectors) = torch.linalg.eigh(ToTensor(symmetric));
        return (ToVector(values), ToMatrix(vectors));
    }

    /// <summary>Thin SVD: A = U diag(S) Vᵀ.</summary>
    public static (Matrix U, double[] S, Matrix Vt) Svd(Matrix a)
    {
        using var scope = torch.NewDisposeScope();
        var (u, s, vt) = torch.linalg.svd(ToTensor(a), fullMatrices: false);
        return (ToMatrix(u), ToVector(s), ToMatrix(vt));
    }
}
