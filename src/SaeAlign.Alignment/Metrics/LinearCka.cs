using SaeAlign.Core;

namespace SaeAlign.Alignment;

/// <summary>
/// Linear CKA on centred X, Y: ‖YᵀX‖²_F / (‖XᵀX‖_F ‖YᵀY‖_F) (Kornblith et al. 2019), and its debiased
/// form, which replaces each HSIC by the unbiased estimator of Song et al. (2012) as in Kornblith's
/// feature_space_linear_cka(debiased=True). Both come from second moments and row-norm sums, so they stream.
/// Symmetric; invariant to orthogonal transforms and isotropic scaling of either set.
/// </summary>
public static class LinearCka
{
    public static double Score(PairMoments all, bool debiased = false)
    {
        var mx = all.MeanX();
        var my = all.MeanY();
        var xy = all.CrossProducts(mx, my);
        var xx = all.SourceProducts(mx);
        var yy = all.TargetProducts(my);
        double cross = SquaredNorm(xy), source = SquaredNorm(xx), target = SquaredNorm(yy);
        if (!debiased) return Ratio(cross, source, target);

        var norms = all.Norms ?? throw new InvalidOperationException("Debiased CKA needs the row-norm sums; collect them with MomentNeeds.RowNorms.");
        long n = all.Count;
        if (n < 4) throw new InvalidOperationException($"Debiased CKA needs at least 4 rows, got {n}.");
        double traceX = PairMoments.CentredSquares(all.SquaresX, all.SumX, mx, n).Sum();
        double traceY = PairMoments.CentredSquares(all.SquaresY, all.SumY, my, n).Sum();
        double xyNorms = CentredNormProduct(all, norms, mx, my);
        double xxNorms = CentredNormSquares(norms.SumAA, norms.XA, all.Xx!, all.SquaresX, all.SumX, mx, n);
        double yyNorms = CentredNormSquares(norms.SumBB, norms.YB, all.Yy!, all.SquaresY, all.SumY, my, n);
        return Ratio(Unbiased(cross, xyNorms, traceX, traceY, n), Unbiased(source, xxNorms, traceX, traceX, n), Unbiased(target, yyNorms, traceY, traceY, n));
    }

    /// <summary>
    /// Linear CKA of sparse codes over all rows, exactly as <see cref="Score(PairMoments, bool)"/> computes it from dense
    /// moments: ‖X_cᵀY_c‖² from the co-activations of <paramref name="cross"/>; each set's ‖X_cᵀX_c‖² from its own
    /// co-activations, or, for a set that is mostly nonzero (neurons), from one float64 GEMM of its centred rows,
    /// which is a·a·N multiply-adds either way but runs at BLAS speed.
    /// </summary>
    public static double Score(SparseMoments cross, SparseCodes source, SparseCodes target, int[] liveX, int[] liveY, CancellationToken ct = default) =>
        Ratio(cross.All().CentredCrossNormSquared(liveX, liveY, ct), SelfNormSquared(source, liveX, ct), SelfNormSquared(target, liveY, ct));

    private static double SelfNormSquared(SparseCodes codes, int[] live, CancellationToken ct)
    {
        if (!CodeRows.IsDense(codes))
            return SparseMoments.Collect(codes, codes, [], 1, ct).All().CentredCrossNormSquared(live, live, ct);
        var position = SemiMatching.Positions(live, codes.Columns);
        var rows = new Matrix(codes.Rows, live.Length);
        var mean = new double[live.Length];
        for (int r = 0; r < codes.Rows; r++)
        {
            var index = codes.RowIndex(r);
            var values = codes.RowValues(r);
            for (int e = 0; e < index.Length; e++)
            {
                int p = position[index[e]];
                if (p < 0) continue;
                rows[r, p] = values[e];
                mean[p] += values[e];
            }
        }
        for (int p = 0; p < mean.Length; p++) mean[p] /= codes.Rows;
        for (int r = 0; r < codes.Rows; r++)
        {
            var row = rows.Row(r);
            for (int p = 0; p < row.Length; p++) row[p] -= mean[p];
        }
        ct.ThrowIfCancellationRequested();
        return SquaredNorm(Dense.Multiply(rows, rows, transposeA: true));
    }

    private static double Ratio(double cross, double source, double target)
    {
        double scale = Math.Sqrt(source * target);
        return scale > 0 ? cross / scale : 0;
    }

    /// <summary>n(n-3) HSIC_1 from ‖XᵀY‖², Σ|x_i|²|y_i|² and the traces (all centred).</summary>
    private static double Unbiased(double crossNorm, double normProducts, double traceX, double traceY, long n) =>
        crossNorm - (double)n / (n - 2) * normProducts + traceX * traceY / ((double)(n - 1) * (n - 2));

    private static double SquaredNorm(Matrix m) => m.Data.Sum(v => v * v);

    private static double Dot(double[] a, double[] b)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++) sum += a[i] * b[i];
        return sum;
    }

    private static double Quadratic(double[] u, Matrix m, double[] v)
    {
        double sum = 0;
        for (int i = 0; i < u.Length; i++)
        {
            var row = m.Row(i);
            double inner = 0;
            for (int j = 0; j < v.Length; j++) inner += row[j] * v[j];
            sum += u[i] * inner;
        }
        return sum;
    }

    /// <summary>Σ_i |x_i - mx|² |y_i - my|² expanded in the shifted sums: with A = |x|², u = x·mx, c = |mx|², (A - 2u + c)(B - 2v + d).</summary>
    private static double CentredNormProduct(PairMoments all, RowNormSums norms, double[] mx, double[] my)
    {
        double c = Dot(mx, mx), d = Dot(my, my);
        double sumA = all.SquaresX.Sum(), sumB = all.SquaresY.Sum();
        return norms.SumAB
            - 2 * Dot(my, norms.YA) + d * sumA
            - 2 * Dot(mx, norms.XB) + 4 * Quadratic(mx, all.Xy, my)
            - 2 * d * Dot(mx, all.SumX) + c * sumB
            - 2 * c * Dot(my, all.SumY) + all.Count * c * d;
    }

    /// <summary>Σ_i |x_i - m|⁴ = Σ (A - 2u + c)².</summary>
    private static double CentredNormSquares(double sumAA, double[] xa, Matrix products, double[] squares, double[] sums, double[] m, long n)
    {
        double c = Dot(m, m);
        return sumAA - 4 * Dot(m, xa) + 2 * c * squares.Sum() + 4 * Quadratic(m, products, m) - 4 * c * Dot(m, sums) + n * c * c;
    }
}

/// <summary>The "cka" metric over all rows: symmetric, unfitted; exact on sparse codes from their co-activations.</summary>
public sealed class LinearCkaMetric : ISparseAlignmentMetric
{
    public string Name => AlignmentMetric.Cka;
    public bool Fitted => false;
    public bool Directional => false;
    public MetricNeeds Needs => MetricNeeds.CrossMoments | MetricNeeds.SourceGram | MetricNeeds.TargetGram;

    public MetricResult Score(DenseInputs inputs, CancellationToken ct) => MetricResult.Unfitted(this, "all rows", LinearCka.Score(inputs.Total));

    public MetricResult Score(SparseInputs inputs, CancellationToken ct) =>
        MetricResult.Unfitted(this, "all rows", LinearCka.Score(inputs.Moments, inputs.Source, inputs.Target, inputs.LiveX, inputs.LiveY, ct));
}

/// <summary>The "cka-debiased" metric over all rows (at least 4): symmetric, unfitted.</summary>
public sealed class DebiasedCkaMetric : IAlignmentMetric
{
    public string Name => AlignmentMetric.CkaDebiased;
    public bool Fitted => false;
    public bool Directional => false;
    public MetricNeeds Needs => MetricNeeds.CrossMoments | MetricNeeds.SourceGram | MetricNeeds.TargetGram | MetricNeeds.RowNorms;

    public MetricResult Score(DenseInputs inputs, CancellationToken ct)
    {
        InvalidInputException.Require(inputs.Total.Count >= 4, "cka-debiased needs at least 4 stimuli.");
        return MetricResult.Unfitted(this, "all rows", LinearCka.Score(inputs.Total, debiased: true));
    }
}
