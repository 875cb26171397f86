using SaeAlign.Alignment;
using SaeAlign.Core;
using SaeAlign.Pipelines.Studies;

namespace SaeAlign.Pipelines.Tests.Studies;

public class SnrStudyTests : StudyTest
{
    private static readonly SnrStudyOptions Small = new()
    {
        Inputs = 8, Outputs = 4, Hidden = 4, Members = 4, TrainSize = 24, TestSize = 200, Steps = 1500,
        Snr = [0.05, 0.2, 1, 5, 25, 100],
        Sizes = [2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 16, 24, 32],
        Mlp = false,
    };

    private static (double[] Snr, int[] N, double[] Mean) Curve(StudyResult result, string sweep, string model, string metric)
    {
        var sweeps = (string[])result.Table.Single(c => c.Name == "sweep").Values;
        var models = (string[])result.Table.Single(c => c.Name == "model").Values;
        var metrics = (string[])result.Table.Single(c => c.Name == "metric").Values;
        bool Keep(int r) => sweeps[r] == sweep && models[r] == model && metrics[r] == metric;
        double[] Doubles(string name) => ((double[])result.Table.Single(c => c.Name == name).Values).Where((_, r) => Keep(r)).ToArray();
        return (Doubles("snr"), ((int[])result.Table.Single(c => c.Name == "n").Values).Where((_, r) => Keep(r)).ToArray(), Doubles("mean"));
    }

    [Test]
    public void AlignmentRisesWithSnrAndDipsNearTheInterpolationThreshold()
    {
        var result = SnrStudy.Run(Small, Root);
        foreach (var model in new[] { SnrStudy.Trained, SnrStudy.ClosedForm })
        {
            var bySnr = Curve(result, SnrStudy.SnrSweep, model, AlignmentMetric.Cka);
            Assert.That(bySnr.Snr, Is.EqualTo(Small.Snr));
            Assert.That(bySnr.Mean, Is.Ordered.Ascending, $"{model}: CKA vs SNR");
            Assert.That(bySnr.Mean[^1], Is.GreaterThan(0.95), model);
            var error = Curve(result, SnrStudy.SnrSweep, model, SnrStudy.TestError);
            Assert.That(error.Mean, Is.Ordered.Descending, $"{model}: test error vs SNR");

            var bySize = Curve(result, SnrStudy.SizeSweep, model, AlignmentMetric.Cka);
            Assert.That(bySize.N, Is.EqualTo(Small.Sizes));
            int argmin = bySize.N[Array.IndexOf(bySize.Mean, bySize.Mean.Min())];
            Assert.That(argmin, Is.InRange(Small.Inputs / 2, Small.Inputs * 2), $"{model}: the N of least alignment");
            Assert.That(bySize.Mean.Min(), Is.LessThan(bySize.Mean[0]).And.LessThan(bySize.Mean[^1]), $"{model}: a dip, not an end point");
        }
        foreach (var metric in new[] { AlignmentMetric.Ridge, AlignmentMetric.Semi })
        {
            var bySnr = Curve(result, SnrStudy.SnrSweep, SnrStudy.Trained, metric);
            Assert.That(bySnr.Mean[^1], Is.GreaterThan(bySnr.Mean[0]), metric);
        }
        Assert.That(result.Files, Is.SupersetOf(new[] { "alignment_vs_snr.png", "alignment_vs_n.png", "test_error_vs_n.png", "alignment_vs_test_error.png" }));
        AssertFigures(result);
    }

    [Test]
    public void MlpAlignmentRisesWithSnrAndDipsWithinAFactorTwoOfItsThreshold()
    {
        var result = SnrStudy.Run(Small with { Mlp = true, Snr = [0.05, 1, 20], Sizes = [8] }, Root);
        var regression = Curve(result, SnrStudy.SnrSweep, SnrStudy.MlpRegression, AlignmentMetric.Cka);
        Assert.That(regression.Mean, Is.Ordered.Ascending);
        Assert.That(regression.Mean[^1], Is.GreaterThan(regression.Mean[0] + 0.15));
        foreach (var model in new[] { SnrStudy.MlpRegression, SnrStudy.MlpClassification })
        {
            var error = Curve(result, SnrStudy.SnrSweep, model, SnrStudy.TestError);
            Assert.That(error.Mean, Is.Ordered.Descending, $"{model}: test error vs SNR");
        }
        var classification = Curve(result, SnrStudy.SnrSweep, SnrStudy.MlpClassification, AlignmentMetric.Cka);
        Assert.That(classification.Mean[^1], Is.GreaterThan(classification.Mean[0]));

        double threshold = Small.MlpThreshold;
        Assert.That(threshold, Is.EqualTo(28));
        var bySize = Curve(result, SnrStudy.SizeSweep, SnrStudy.MlpRegression, AlignmentMetric.Cka);
        int argmin = bySize.N[Array.IndexOf(bySize.Mean, bySize.Mean.Min())];
        Assert.That(argmin, Is.InRange(threshold / 2, threshold * 2));
        Assert.That(result.Files, Is.SupersetOf(new[] { "mlp_alignment_vs_snr.png", "mlp_alignment_vs_n.png", "mlp_test_error_vs_n.png" }));
        AssertFigures(result);
    }

    [Test]
    public void SameSeedGivesIdenticalResultsAndAnotherSeedDifferent()
    {
        var tiny = Small with { Snr = [1], Sizes = [8], Members = 3, Steps = 200, TestSize = 60 };
        SnrStudy.Run(tiny, Path.Combine(Root, "a"));
        SnrStudy.Run(tiny, Path.Combine(Root, "b"));
        SnrStudy.Run(tiny with { Seed = 1 }, Path.Combine(Root, "c"));
        byte[] Results(string run) => File.ReadAllBytes(Path.Combine(Root, run, StudyFolder.ResultsFile));
        Assert.That(Results("b"), Is.EqualTo(Results("a")));
        Assert.That(Results("c"), Is.Not.EqualTo(Results("a")));
    }

    [TestCase(-1.0, "snr: -1")]
    [TestCase(0.0, "snr: 0")]
    public void NonPositiveSnrIsBadInput(double snr, string message)
    {
        var e = Assert.Throws<InvalidInputException>(() => SnrStudy.Run(Small with { Snr = [1, snr] }, Root));
        Assert.That(e!.Message, Does.Contain(message));
        Assert.That(Directory.Exists(Root), Is.False);
    }

    [Test]
    public void NonPositiveSizeIsBadInput()
    {
        var e = Assert.Throws<InvalidInputException>(() => SnrStudy.Run(Small with { Sizes = [4, 0] }, Root));
        Assert.That(e!.Message, Does.Contain("sizes: 0"));
    }
}
