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
    public static Tensor ToTensor(Matrix m) => torch.tensor(m.Data, [m.Rows, m.Columns], ScalarType.Float64);

    public static Matrix ToMatrix(Tensor t)
    {
        using var contiguous = t.to_type(ScalarType.Float64).contiguous();
        return new Matrix((int)t.shape[0], (int)t.shape[1], contiguous.data<double>().ToArray());
    }

    public static double[] ToVector(Tensor t)
    {
        using var contiguous = t.to_type(ScalarType.Float64).contiguous();
        return contiguous.data<double>().ToArray();
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
