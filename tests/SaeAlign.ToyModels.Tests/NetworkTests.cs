using SaeAlign.ToyModels.Networks;

namespace SaeAlign.ToyModels.Tests;

public class NetworkTests
{
    [Test]
    public void LinearTeacherOutputsHaveUnitVarianceAndNoiseSetsTheSnr()
    {
        var teacher = LinearTeacher.Draw(10, 3, seed: 1);
        var x = teacher.DrawInputs(20_000, seed: 2);
        var clean = teacher.Clean(x, 20_000);
        double variance = clean.Select(v => v * v).Average();
        Assert.That(variance, Is.EqualTo(1).Within(0.05));
        var noisy = LinearTeacher.Noisy(clean, snr: 4, seed: 3);
        Assert.That(LinearTeacher.MeanSquaredError(noisy, clean), Is.EqualTo(0.25).Within(0.01));
    }

    [Test]
    public void RandomFeatureTeacherOutputsHaveUnitVariance()
    {
        var teacher = RandomFeatureTeacher.Draw(6, 16, 2, seed: 4);
        var y = teacher.Clean(teacher.DrawInputs(20_000, seed: 5), 20_000);
        for (int o = 0; o < 2; o++)
        {
            var column = Enumerable.Range(0, 20_000).Select(r => y[r * 2 + o]).ToArray();
            double mean = column.Average();
            Assert.That(column.Select(v => (v - mean) * (v - mean)).Average(), Is.EqualTo(1).Within(0.05), $"output {o}");
        }
    }

    [Test]
    public void GradientDescentFromSmallInitialisationApproachesTheMinimumNormSolution()
    {
        var teacher = LinearTeacher.Draw(6, 3, seed: 1);
        var x = teacher.DrawInputs(4, seed: 2);
        var y = LinearTeacher.Noisy(teacher.Clean(x, 4), snr: 4, seed: 3);
        var trained = LinearNetwork.Train(x, y, 4, 6, 3, 3, steps: 4000, learningRate: 0.05, initScale: 1e-4, seed: 4);
        var closed = LinearNetwork.MinimumNorm(x, y, 4, 6, 3, 3);
        var probe = teacher.DrawInputs(50, seed: 5);
        Assert.That(trained.Predict(probe, 50), Is.EqualTo(closed.Predict(probe, 50)).Within(1e-2));
        // Fewer samples than inputs: both interpolate the noisy targets.
        Assert.That(closed.Predict(x, 4), Is.EqualTo(y).Within(1e-8));
    }

    [Test]
    public void MinimumNormWithMoreSamplesThanInputsRecoversACleanTeacher()
    {
        var teacher = LinearTeacher.Draw(5, 2, seed: 6);
        var x = teacher.DrawInputs(40, seed: 7);
        var closed = LinearNetwork.MinimumNorm(x, teacher.Clean(x, 40), 40, 5, 2, 2);
        var probe = teacher.DrawInputs(10, seed: 8);
        Assert.That(closed.Predict(probe, 10), Is.EqualTo(teacher.Clean(probe, 10)).Within(1e-9));
        // Balanced factors: ‖A‖_F = ‖B‖_F (both carry the square roots of the singular values).
        Assert.That(closed.A.Sum(v => v * v), Is.EqualTo(closed.B.Sum(v => v * v)).Within(1e-9));
    }

    [Test]
    public void ReluMlpFitsAFewPointsAndItsHiddenLayerIsNonNegative()
    {
        var teacher = RandomFeatureTeacher.Draw(3, 8, 2, seed: 9);
        var x = teacher.DrawInputs(6, seed: 10);
        var y = teacher.Clean(x, 6);
        var before = ReluMlp.Train(x, y, 6, 3, 16, 2, steps: 1, learningRate: 0.05, seed: 11);
        var after = ReluMlp.Train(x, y, 6, 3, 16, 2, steps: 3000, learningRate: 0.05, seed: 11);
        double start = LinearTeacher.MeanSquaredError(before.Predict(x, 6), y);
        double end = LinearTeacher.MeanSquaredError(after.Predict(x, 6), y);
        Assert.That(end, Is.LessThan(start / 20));
        Assert.That(after.HiddenOf(x, 6), Is.All.GreaterThanOrEqualTo(0));
        Assert.That(ReluMlp.ParameterCount(3, 16, 2), Is.EqualTo(3 * 16 + 16 + 16 * 2 + 2));
    }

    [Test]
    public void OneHotAndErrorRateUseTheHighestScore()
    {
        var labels = Classes.OneHot([0.1, 0.9, 2, -1, 0.5, 0.5], 2);
        Assert.That(labels, Is.EqualTo(new double[] { 0, 1, 1, 0, 1, 0 }));
        Assert.That(Classes.ErrorRate([1, 0, 1, 0, 0, 1], labels, 2), Is.EqualTo(2.0 / 3).Within(1e-12));
    }
}
