using SaeAlign.Alignment;

namespace SaeAlign.Alignment.Tests;

/// <summary>Ridge against closed forms: explicit refits without each row, and the normal equations.</summary>
public class RidgeTests
{
    private static readonly SaeAlign.Core.ActivationSet Source = TestData.Gaussian(30, 3, 71);
    private static readonly SaeAlign.Core.ActivationSet Target = TestData.Related(Source, 2, 2.0, 72);

    /// <summary>Leave-one-out by brute force: refit without row i (data centred once with all rows' means, as the definition says).</summary>
    private static double BruteForceLoo(Matrix x, Matrix y, double alpha)
    {
        double total = 0;
        for (int left = 0; left < x.Rows; left++)
        {
            var keep = Enumerable.Range(0, x.Rows).Where(r => r != left).ToArray();
            var xs = x.Select(keep, Enumerable.Range(0, x.Columns).ToArray());
            var ys = y.Select(keep, Enumerable.Range(0, y.Columns).ToArray());
            var w = Solve(xs, ys, alpha);
            for (int j = 0; j < y.Columns; j++)
            {
                double prediction = 0;
                for (int i = 0; i < x.Columns; i++) prediction += x[left, i] * w[i, j];
                total += (y[left, j] - prediction) * (y[left, j] - prediction);
            }
        }
        return total;
    }

    /// <summary>(XᵀX + alpha I)⁻¹ XᵀY by Gauss-Jordan elimination.</summary>
    private static Matrix Solve(Matrix x, Matrix y, double alpha)
    {
        int a = x.Columns, b = y.Columns;
        var system = new double[a, a + b];
        for (int i = 0; i < a; i++)
        {
            for (int k = 0; k < a; k++) for (int r = 0; r < x.Rows; r++) system[i, k] += x[r, i] * x[r, k];
            system[i, i] += alpha;
            for (int j = 0; j < b; j++) for (int r = 0; r < x.Rows; r++) system[i, a + j] += x[r, i] * y[r, j];
        }
        for (int p = 0; p < a; p++)
        {
            double pivot = system[p, p];
            for (int c = 0; c < a + b; c++) system[p, c] /= pivot;
            for (int i = 0; i < a; i++)
            {
                if (i == p) continue;
                double factor = system[i, p];
                for (int c = 0; c < a + b; c++) system[i, c] -= factor * system[p, c];
            }
        }
        var w = new Matrix(a, b);
        for (int i = 0; i < a; i++) for (int j = 0; j < b; j++) w[i, j] = system[i, a + j];
        return w;
    }

    private static Matrix Centred(SaeAlign.Core.ActivationSet set)
    {
        var m = TestData.ToMatrix(set);
        for (int c = 0; c < m.Columns; c++)
        {
            double mean = Enumerable.Range(0, m.Rows).Average(r => m[r, c]);
            for (int r = 0; r < m.Rows; r++) m[r, c] -= mean;
        }
        return m;
    }

    [Test]
    public void LeaveOneOutErrorsEqualExplicitRefits()
    {
        using var accumulator = new MomentAccumulator(3, 2, 1, MomentNeeds.All);
        accumulator.Add(Source.Values, Target.Values, Source.Rows, []);
        var problem = RidgeRegression.Prepare(accumulator.Moments()[0]);
        using var loo = new RidgeLeaveOneOut([problem], accumulator.ShiftX, accumulator.ShiftY);
        loo.Add(Source.Values, Target.Values, Source.Rows, 3, 2, [0, 1, 2], [0, 1], []);
        var x = Centred(Source);
        var y = Centred(Target);
        foreach (int k in new[] { 4, 8, 9, 10, 12 })
            Assert.That(loo.Errors[0][k], Is.EqualTo(BruteForceLoo(x, y, RidgeRegression.Alphas[k])).Within(1e-9 * loo.Errors[0][k]), $"alpha {RidgeRegression.Alphas[k]}");
    }

    [Test]
    public void WeightsSolveTheNormalEquations()
    {
        var fit = RidgeRegression.Prepare(TestData.Moments(Source, Target)).Solve(10);
        var expected = Solve(Centred(Source), Centred(Target), 10);
        Assert.That(fit.Weights.Data, Is.EqualTo(expected.Data).Within(1e-10));
    }

    [Test]
    public void AlphasAreTheDesignGrid()
    {
        Assert.That(RidgeRegression.Alphas, Has.Count.EqualTo(17));
        Assert.That(RidgeRegression.Alphas[0], Is.EqualTo(1e-8));
        Assert.That(RidgeRegression.Alphas[16], Is.EqualTo(1e8));
        Assert.That(RidgeRegression.BestAlpha([3, double.NaN, 1, 1, 2, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5]), Is.EqualTo(1e-6));
    }

    [Test]
    public void ScoreIsMeanPearsonOfPredictions()
    {
        var fit = RidgeRegression.Prepare(TestData.Moments(Source, Target)).Solve(1);
        var x = Centred(Source);
        var y = TestData.ToMatrix(Target);
        var prediction = Dense.Multiply(x, fit.Weights);
        double expected = Enumerable.Range(0, 2).Average(j =>
            Correlation.Pearson(Enumerable.Range(0, 30).Select(r => prediction[r, j]).ToArray(), Enumerable.Range(0, 30).Select(r => y[r, j]).ToArray()));
        Assert.That(fit.Score(TestData.Moments(Source, Target)), Is.EqualTo(expected).Within(1e-10));
    }
}
