using SaeAlign.Core;
using TorchSharp;
using static TorchSharp.torch;

namespace SaeAlign.Alignment;

/// <summary>
/// Ridge regression source -> target (directional): X and Y are centred with the fitting rows' means, no
/// intercept, W(alpha) = (XᵀX + alpha I)⁻¹ XᵀY. One alpha from <see cref="Alphas"/> is shared by all targets and
/// chosen by the exact leave-one-out squared error, which one eigendecomposition XᵀX = V diag(λ) Vᵀ gives for
/// every alpha: e_i = (y_i - ŷ_i) / (1 - h_i) with h_i = Σ_k z_ik² / (λ_k + alpha), z_i = Vᵀ x_i
/// (sklearn RidgeCV's criterion on pre-centred data). Score = mean over targets of Pearson(prediction, truth).
/// </summary>
public static class RidgeRegression
{
    /// <summary>logspace(-8, 8, 17).</summary>
    public static readonly IReadOnlyList<double> Alphas = Enumerable.Range(-8, 17).Select(e => Math.Pow(10, e)).ToArray();

    /// <summary>The eigendecomposition and projected cross-products of the fitting rows; needs <see cref="PairMoments.Xx"/>.</summary>
    public static RidgeProblem Prepare(PairMoments train)
    {
        var mx = train.MeanX();
        var my = train.MeanY();
        var (values, vectors) = Dense.SymmetricEigen(train.SourceProducts(mx));
        return new RidgeProblem(mx, my, values, vectors, Projected(vectors, train, mx, my));
    }

    /// <summary>
    /// G = Vᵀ X_cᵀ Y_c on the fitting rows. A target constant on them gets an exactly zero column, as on the sparse
    /// route: its cross products' rounding residue would otherwise be fitted and correlate at random on the test rows.
    /// </summary>
    internal static Matrix Projected(Matrix vectors, PairMoments train, double[] mx, double[] my)
    {
        var cross = train.CrossProducts(mx, my);
        for (int j = 0; j < cross.Columns; j++)
            if (PairMoments.Spread(train.SquaresY[j], train.SumY[j], my[j], train.Count) == 0)
                for (int i = 0; i < cross.Rows; i++) cross[i, j] = 0;
        return Dense.Multiply(vectors, cross, transposeA: true);
    }

    /// <summary>How a run's details name the alpha fold <paramref name="fold"/> chose.</summary>
    public static string AlphaKey(CrossValidation cv, int fold) =>
        cv.IsNone ? "alpha" : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"alpha.fold{fold}");

    /// <summary>The alpha with the smallest leave-one-out error; ties go to the smaller alpha. NaN (a singular fit) never wins.</summary>
    public static double BestAlpha(IReadOnlyList<double> errors)
    {
        int best = -1;
        for (int k = 0; k < errors.Count; k++)
            if (!double.IsNaN(errors[k]) && (best < 0 || errors[k] < errors[best])) best = k;
        if (best < 0) throw new InvalidOperationException("Every ridge alpha gave a non-finite leave-one-out error.");
        return Alphas[best];
    }
}

/// <summary>What a ridge fit needs from its rows: means, eigenpairs of the centred XᵀX, and G = Vᵀ XᵀY (centred).</summary>
public sealed record RidgeProblem(double[] MeanX, double[] MeanY, double[] Eigenvalues, Matrix Eigenvectors, Matrix Projected)
{
    public RidgeFit Solve(double alpha)
    {
        var scaled = new Matrix(Projected.Rows, Projected.Columns);
        for (int k = 0; k < Projected.Rows; k++)
        {
            double inverse = 1 / (Eigenvalues[k] + alpha);
            var from = Projected.Row(k);
            var to = scaled.Row(k);
            for (int j = 0; j < from.Length; j++) to[j] = from[j] * inverse;
        }
        return new RidgeFit(alpha, Dense.Multiply(Eigenvectors, scaled), MeanX, MeanY);
    }
}

/// <summary>Weights a x b on centred source units; predictions are (x - MeanX) W + MeanY.</summary>
public sealed record RidgeFit(double Alpha, Matrix Weights, double[] MeanX, double[] MeanY) : IFittedMapping
{
    /// <summary>Mean over target units of Pearson(prediction, truth) on the scored rows; needs their <see cref="PairMoments.Xx"/>.</summary>
    public double Score(PairMoments test)
    {
        var mx = test.MeanX();
        var my = test.MeanY();
        var cross = test.CrossProducts(mx, my);
        var source = test.SourceProducts(mx);
        var sourceW = Dense.Multiply(source, Weights);
        double sum = 0;
        for (int j = 0; j < Weights.Columns; j++)
        {
            double covariance = 0, predictionSquares = 0;
            for (int i = 0; i < Weights.Rows; i++)
            {
                covariance += Weights[i, j] * cross[i, j];
                predictionSquares += Weights[i, j] * sourceW[i, j];
            }
            // A target constant on these rows scores 0 (Spread: no rounding residue standing in for its variance).
            double scale = Math.Sqrt(Math.Max(0, predictionSquares)) * PairMoments.Spread(test.SquaresY[j], test.SumY[j], my[j], test.Count);
            sum += scale > 0 ? covariance / scale : 0;
        }
        return sum / Weights.Columns;
    }
}

/// <summary>
/// Streams the fitting rows once more to sum the leave-one-out squared errors of every alpha for one or
/// more ridge problems (one per CV fold: problem f fits on the rows outside bucket f).
/// </summary>
public sealed class RidgeLeaveOneOut : IDisposable
{
    // Rows per matrix product in Add: [rows, alphas x b] stays cache-sized.
    private const int SubBlockRows = 1024;
    private readonly IReadOnlyList<RidgeProblem> problems;
    private readonly Tensor shiftX, shiftY;
    private readonly Tensor[] meanX, meanY, vectors, predictors, inverses;
    private readonly double[][] errors;
    private readonly BlockBuffer blockX = new(), blockY = new();

    // Scalars made once: an implicit one per call and sub-block left TorchSharp's finalizer a quarter of a core to collect.
    private readonly Scalar one = 1.ToScalar(), two = 2.ToScalar();

    /// <param name="shiftX">The shift the problems' moments were taken about (<see cref="MomentAccumulator.ShiftX"/>).</param>
    public RidgeLeaveOneOut(IReadOnlyList<RidgeProblem> problems, double[] shiftX, double[] shiftY)
    {
        this.problems = problems;
        this.shiftX = torch.tensor(shiftX, ScalarType.Float64);
        this.shiftY = torch.tensor(shiftY, ScalarType.Float64);
        meanX = problems.Select(p => torch.tensor(p.MeanX, ScalarType.Float64)).ToArray();
        meanY = problems.Select(p => torch.tensor(p.MeanY, ScalarType.Float64)).ToArray();
        vectors = problems.Select(p => Dense.ToTensor(p.Eigenvectors)).ToArray();
        // 1 / (λ_k + alpha) for every alpha: [a, alphas].
        inverses = problems.Select(p => torch.tensor(
            RidgeRegression.Alphas.SelectMany(alpha => p.Eigenvalues.Select(l => 1 / (l + alpha))).ToArray(),
            [RidgeRegression.Alphas.Count, p.Eigenvalues.Length], ScalarType.Float64).t().contiguous()).ToArray();
        // diag(1 / (λ + alpha)) G for every alpha side by side, [a, alphas x b]: one product predicts every alpha.
        predictors = problems.Select((p, f) =>
        {
            using var scope = torch.NewDisposeScope();
            var perAlpha = inverses[f].t().unsqueeze(2) * Dense.ToTensor(p.Projected).unsqueeze(0);
            return perAlpha.permute(1, 0, 2).reshape(p.Projected.Rows, -1).contiguous().DetachFromDisposeScope();
        }).ToArray();
        errors = problems.Select(_ => new double[RidgeRegression.Alphas.Count]).ToArray();
    }

    /// <summary>
    /// Adds a block of raw rows, all units (<paramref name="sourceUnits"/> selects the live ones). With several
    /// problems, <paramref name="bucketOfRow"/> holds each row's fold; problem f skips the rows of fold f.
    /// </summary>
    public void Add(float[] source, float[] target, int rows, int sourceWidth, int targetWidth,
        IReadOnlyList<int> sourceUnits, IReadOnlyList<int> targetUnits, ReadOnlySpan<byte> bucketOfRow)
    {
        if (rows == 0) return;
        using var scope = torch.NewDisposeScope();
        var liveX = torch.tensor(sourceUnits.Select(u => (long)u).ToArray(), ScalarType.Int64);
        var liveY = torch.tensor(targetUnits.Select(u => (long)u).ToArray(), ScalarType.Int64);
        var x = blockX.Load(source, 0, rows, sourceWidth).sub_(shiftX).index_select(1, liveX);
        var y = blockY.Load(target, 0, rows, targetWidth).sub_(shiftY).index_select(1, liveY);
        for (int f = 0; f < problems.Count; f++)
        {
            Tensor xf = x, yf = y;
            if (problems.Count > 1)
            {
                var keep = new List<long>(rows);
                for (int r = 0; r < rows; r++) if (bucketOfRow[r] != f) keep.Add(r);
                if (keep.Count == 0) continue;
                var index = torch.tensor(keep.ToArray(), ScalarType.Int64);
                xf = x.index_select(0, index);
                yf = y.index_select(0, index);
            }
            var z = torch.mm(xf - meanX[f], vectors[f]);
            var zSquared = z.square();
            var yc = yf - meanY[f];
            long n = z.shape[0], alphas = RidgeRegression.Alphas.Count, b = yc.shape[1];
            for (long first = 0; first < n; first += SubBlockRows)
            {
                // Temporaries freed per sub-block: held until the block ends they reached gigabytes.
                using var subScope = torch.NewDisposeScope();
                long count = Math.Min(SubBlockRows, n - first);
                var residual = torch.mm(z.narrow(0, first, count), predictors[f]).view(count, alphas, b)
                    .sub_(yc.narrow(0, first, count).unsqueeze(1));
                var leverage = torch.mm(zSquared.narrow(0, first, count), inverses[f]);
                var subErrors = residual.pow_(two).sum([2]).div_(leverage.neg_().add_(one).pow_(two)).sum([0]).data<double>();
                for (int k = 0; k < alphas; k++) errors[f][k] += subErrors[k];
            }
        }
    }

    /// <summary>Summed leave-one-out squared error per problem and alpha.</summary>
    public IReadOnlyList<double[]> Errors => errors;

    public void Dispose()
    {
        one.Dispose();
        two.Dispose();
        shiftX.Dispose();
        shiftY.Dispose();
        blockX.Dispose();
        blockY.Dispose();
        foreach (var t in meanX.Concat(meanY).Concat(vectors).Concat(predictors).Concat(inverses)) t.Dispose();
    }
}

/// <summary>
/// The "ridge" metric: fitted and directional. On dense rows its alphas need the fitting rows a second time (exact
/// leave-one-out), so it reads the rows again; on sparse codes <see cref="SparseRidge"/> fits each fold at any width.
/// The chosen alpha of each fold is in the details.
/// </summary>
public sealed class RidgeMetric : ISparseAlignmentMetric
{
    public string Name => AlignmentMetric.Ridge;
    public bool Fitted => true;
    public bool Directional => true;
    public MetricNeeds Needs => MetricNeeds.CrossMoments | MetricNeeds.SourceGram | MetricNeeds.SecondPass;

    public MetricResult Score(DenseInputs inputs, CancellationToken ct)
    {
        var splits = inputs.Splits;
        var problems = splits.Select(s => RidgeRegression.Prepare(s.Train)).ToArray();
        var pass = inputs.Rows;
        using (var loo = new RidgeLeaveOneOut(problems, pass.ShiftX, pass.ShiftY))
        {
            foreach (var block in pass.Rows.Blocks(ct))
                loo.Add(block.Source, block.Target, block.Rows, pass.Rows.SourceUnits, pass.Rows.TargetUnits, pass.LiveX, pass.LiveY, pass.FoldsOf(block));
            var alphas = loo.Errors.Select(RidgeRegression.BestAlpha).ToArray();
            var details = new Dictionary<string, double>();
            for (int f = 0; f < alphas.Length; f++) details[RidgeRegression.AlphaKey(inputs.Options.Cv, f)] = alphas[f];
            return inputs.PerFold(this, f => problems[f].Solve(alphas[f]).Score(splits[f].Test), details);
        }
    }

    private const long WideFold = 256L << 20;

    public MetricResult Score(SparseInputs inputs, CancellationToken ct) => Score(inputs, SparseRidge.Form.Auto, ct);

    /// <summary>The sparse route in a given form (tests compare the primal and the dual where both run).</summary>
    internal MetricResult Score(SparseInputs inputs, SparseRidge.Form form, CancellationToken ct)
    {
        var scores = new double[inputs.Moments.Folds];
        var details = new Dictionary<string, double>();
        for (int f = 0; f < scores.Length; f++)
        {
            var (fit, test) = inputs.RowsOf(f);
            using var fitX = CodeRows.Of(inputs.Source, fit, inputs.LiveX);
            using var fitY = CodeRows.Of(inputs.Target, fit, inputs.LiveY);
            using var testX = ReferenceEquals(fit, test) ? null : CodeRows.Of(inputs.Source, test, inputs.LiveX);
            using var testY = ReferenceEquals(fit, test) ? null : CodeRows.Of(inputs.Target, test, inputs.LiveY);
            (scores[f], double alpha) = SparseRidge.Fold(fitX, testX ?? fitX, fitY, testY ?? fitY, form, ct);
            details[RidgeRegression.AlphaKey(inputs.Options.Cv, f)] = alpha;
            // A wide fold leaves gigabytes of large arrays and libtorch buffers that the GC and glibc would otherwise
            // carry into the next fold, doubling the peak.
            if (SparseBytes(inputs.Source.Rows, inputs.LiveX.Length, inputs.LiveY.Length, scores.Length) > WideFold) ProcessMemory.Release();
        }
        return MetricResult.Fitted(this, inputs.Cv, scores, details);
    }

    public long SparseBytes(long rows, long a, long b, int folds) => SparseRidge.Bytes(rows, a, b, folds);

    // The sparse route holds rows x units arrays, the dense route streams the rows: with a thousand rows per unit and
    // more (the toy pipeline's 2,048,000 x 64) the dense route is faster. Measured, 5 folds: 400,000 rows x 64 codes
    // 18.7 s dense, 22.3 s sparse; 20,000 x 512, 30.6 s and 14.0 s; 20,000 x 1,024, 93.3 s and 35.2 s.
    private const long RowsPerUnit = 1000;

    public bool PrefersSparse(long rows, long a, long b) => rows <= RowsPerUnit * Math.Max(a, b);
}
