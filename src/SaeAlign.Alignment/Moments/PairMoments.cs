using static TorchSharp.torch;

namespace SaeAlign.Alignment;

/// <summary>
/// Sums over a set of rows (one fold, or all) that every second-moment metric needs, in float64, about a
/// fixed shift (the same for every fold) so that centring never cancels large means catastrophically.
/// Sums over disjoint row sets add, so a training set's moments are the total minus the held-out fold's.
/// </summary>
public sealed record PairMoments
{
    public required long Count { get; init; }
    /// <summary>Σ (x - shift), per source unit.</summary>
    public required double[] SumX { get; init; }
    public required double[] SumY { get; init; }
    /// <summary>Σ (x - shift)², per source unit (the diagonal of <see cref="Xx"/>).</summary>
    public required double[] SquaresX { get; init; }
    public required double[] SquaresY { get; init; }
    /// <summary>Σ (x - shift)(y - shift)ᵀ, a x b.</summary>
    public required Matrix Xy { get; init; }
    /// <summary>Σ (x - shift)(x - shift)ᵀ when a metric needs it (ridge, cka), else null.</summary>
    public Matrix? Xx { get; init; }
    public Matrix? Yy { get; init; }
    /// <summary>Row-norm sums for the debiased HSIC estimator, when collected.</summary>
    public RowNormSums? Norms { get; init; }

    /// <summary>The moments from libtorch accumulators (float64 tensors), copied into arrays.</summary>
    internal static PairMoments FromTensors(long count, Tensor sumX, Tensor sumY, Tensor squaresX, Tensor squaresY, Tensor xy, Tensor? xx, Tensor? yy,
        RowNormSums? norms = null) => new()
    {
        Count = count,
        SumX = Dense.ToVector(sumX),
        SumY = Dense.ToVector(sumY),
        SquaresX = Dense.ToVector(squaresX),
        SquaresY = Dense.ToVector(squaresY),
        Xy = Dense.ToMatrix(xy),
        Xx = xx is null ? null : Dense.ToMatrix(xx),
        Yy = yy is null ? null : Dense.ToMatrix(yy),
        Norms = norms,
    };

    public int SourceUnits => SumX.Length;
    public int TargetUnits => SumY.Length;

    public double[] MeanX() => SumX.Select(s => s / Count).ToArray();
    public double[] MeanY() => SumY.Select(s => s / Count).ToArray();

    /// <summary>Σ (x - mx)(y - my)ᵀ for any centres (in shifted coordinates): fitting means applied to held-out rows.</summary>
    public Matrix CrossProducts(double[] mx, double[] my) => Centre(Xy, SumX, SumY, mx, my, Count);

    public Matrix SourceProducts(double[] mx) => Centre(Required(Xx, "source"), SumX, SumX, mx, mx, Count);

    public Matrix TargetProducts(double[] my) => Centre(Required(Yy, "target"), SumY, SumY, my, my, Count);

    /// <summary>Σ (x - m)² per unit.</summary>
    public static double[] CentredSquares(double[] squares, double[] sums, double[] m, long count)
    {
        var result = new double[squares.Length];
        for (int i = 0; i < result.Length; i++) result[i] = Math.Max(0, squares[i] - 2 * m[i] * sums[i] + count * m[i] * m[i]);
        return result;
    }

    /// <summary>
    /// √Σ(x − m)² from Σx and Σx², or 0 when the unit is constant on these rows. Σx² − 2mΣx + n·m² of a constant
    /// leaves a rounding residue of about 1e-16 of Σx², whose square root would make 0/0 a spurious ±1e-9 that wins
    /// or loses argmaxes at random; a unit that truly varies stays far above 1e-12 of Σx².
    /// </summary>
    internal static double Spread(double squares, double sum, double mean, long count)
    {
        double centred = squares - 2 * mean * sum + count * mean * mean;
        return centred > 1e-12 * squares ? Math.Sqrt(centred) : 0;
    }

    /// <summary>Pearson correlation of every source unit with every target unit over these rows; 0 where a unit is constant on them.</summary>
    public Matrix Correlation()
    {
        var mx = MeanX();
        var my = MeanY();
        var cross = CrossProducts(mx, my);
        var sx = SquaresX.Select((q, i) => Spread(q, SumX[i], mx[i], Count)).ToArray();
        var sy = SquaresY.Select((q, j) => Spread(q, SumY[j], my[j], Count)).ToArray();
        for (int i = 0; i < cross.Rows; i++)
        {
            var row = cross.Row(i);
            for (int j = 0; j < row.Length; j++)
            {
                double scale = sx[i] * sy[j];
                row[j] = scale > 0 ? Math.Clamp(row[j] / scale, -1, 1) : 0;
            }
        }
        return cross;
    }

    public PairMoments Plus(PairMoments other) => Combine(other, 1);

    public PairMoments Minus(PairMoments other) => Combine(other, -1);

    /// <summary>The moments of the given source and target units only (dead units dropped).</summary>
    public PairMoments Select(IReadOnlyList<int> source, IReadOnlyList<int> target) => new()
    {
        Count = Count,
        SumX = Pick(SumX, source),
        SumY = Pick(SumY, target),
        SquaresX = Pick(SquaresX, source),
        SquaresY = Pick(SquaresY, target),
        Xy = Xy.Select(source, target),
        Xx = Xx?.Select(source, source),
        Yy = Yy?.Select(target, target),
        Norms = Norms?.Select(source, target),
    };

    private PairMoments Combine(PairMoments other, double sign) => new()
    {
        Count = Count + (long)sign * other.Count,
        SumX = Add(SumX, other.SumX, sign),
        SumY = Add(SumY, other.SumY, sign),
        SquaresX = Add(SquaresX, other.SquaresX, sign),
        SquaresY = Add(SquaresY, other.SquaresY, sign),
        Xy = AddMatrix(Xy, other.Xy, sign)!,
        Xx = AddMatrix(Xx, other.Xx, sign),
        Yy = AddMatrix(Yy, other.Yy, sign),
        Norms = Norms is null || other.Norms is null ? null : Norms.Combine(other.Norms, sign),
    };

    internal static double[] Add(double[] a, double[] b, double sign)
    {
        var result = new double[a.Length];
        for (int i = 0; i < a.Length; i++) result[i] = a[i] + sign * b[i];
        return result;
    }

    internal static double[] Pick(double[] values, IReadOnlyList<int> indices) => indices.Select(i => values[i]).ToArray();

    private static Matrix? AddMatrix(Matrix? a, Matrix? b, double sign) =>
        a is null || b is null ? null : new Matrix(a.Rows, a.Columns, Add(a.Data, b.Data, sign));

    private static Matrix Required(Matrix? m, string side) =>
        m ?? throw new InvalidOperationException($"The {side} second moments were not collected; ask the accumulator for them.");

    private static Matrix Centre(Matrix products, double[] sumA, double[] sumB, double[] ma, double[] mb, long count)
    {
        var result = new Matrix(products.Rows, products.Columns);
        for (int i = 0; i < products.Rows; i++)
        {
            var source = products.Row(i);
            var row = result.Row(i);
            for (int j = 0; j < row.Length; j++)
                row[j] = source[j] - sumA[i] * mb[j] - ma[i] * sumB[j] + count * ma[i] * mb[j];
        }
        return result;
    }
}

/// <summary>
/// With A = |x - shift|², B = |y - shift|² per row: Σ AB, Σ A², Σ B², Σ x B, Σ y A, Σ x A, Σ y B. With the
/// second moments they give Σ |x_c|²|y_c|² for any centring, which the debiased HSIC needs, in one pass.
/// </summary>
public sealed record RowNormSums(double SumAB, double SumAA, double SumBB, double[] XB, double[] YA, double[] XA, double[] YB)
{
    internal RowNormSums Combine(RowNormSums o, double sign) => new(
        SumAB + sign * o.SumAB, SumAA + sign * o.SumAA, SumBB + sign * o.SumBB,
        PairMoments.Add(XB, o.XB, sign), PairMoments.Add(YA, o.YA, sign), PairMoments.Add(XA, o.XA, sign), PairMoments.Add(YB, o.YB, sign));

    /// <summary>Dead units are exactly zero after the shift (the shift is their constant), so they add nothing to A or B.</summary>
    internal RowNormSums Select(IReadOnlyList<int> source, IReadOnlyList<int> target) => this with
    {
        XB = PairMoments.Pick(XB, source), YA = PairMoments.Pick(YA, target), XA = PairMoments.Pick(XA, source), YB = PairMoments.Pick(YB, target),
    };
}
