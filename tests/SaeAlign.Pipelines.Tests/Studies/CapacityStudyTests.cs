using SaeAlign.Core;
using SaeAlign.Data;
using SaeAlign.Pipelines.Studies;

namespace SaeAlign.Pipelines.Tests.Studies;

public class CapacityStudyTests : StudyTest
{
    private static readonly CapacityStudyOptions Small = new()
    {
        Widths = [4, 12, 32],
        Seeds = [0, 1, 2],
        Toy = new CapacityStudyOptions().Toy with { Features = 48, Steps = 600, EvalRows = 600 },
        SaeWidths = [8, 32],
        SaeModelWidth = 12,
        SaeRows = 4096,
    };

    [Test]
    public void AlignmentWithTheFeaturesAndBetweenModelsGrowsWithWidth()
    {
        var result = CapacityStudy.Run(Small, Root);
        var width = (int[])result.Table.Single(c => c.Name == "width").Values;
        var comparison = (string[])result.Table.Single(c => c.Name == "comparison").Values;
        var metric = (string[])result.Table.Single(c => c.Name == "metric").Values;
        var mean = (double[])result.Table.Single(c => c.Name == "mean").Values;
        var sem = (double[])result.Table.Single(c => c.Name == "sem").Values;
        var count = (int[])result.Table.Single(c => c.Name == "count").Values;
        double[] Curve(string c, string m) => mean.Where((_, r) => comparison[r] == c && metric[r] == m).ToArray();

        Assert.That(width, Is.EqualTo(new[] { 4, 4, 4, 4, 12, 12, 12, 12, 32, 32, 32, 32, 8, 8, 8, 8, 32, 32, 32, 32 }));
        Assert.That(comparison.Distinct(), Is.EqualTo(new[] { CapacityStudy.BetweenModels, CapacityStudy.ToFeatures, CapacityStudy.BetweenSaes, CapacityStudy.SaeToFeatures }));
        // 3 seeds: 3 pairs between models (or SAEs), 3 models (or SAEs) against the features.
        Assert.That(count, Is.All.EqualTo(3));
        Assert.That(mean, Is.All.InRange(0.0, 1.0));
        Assert.That(sem, Is.All.GreaterThanOrEqualTo(0));
        foreach (var m in new[] { "mknn", "cka" })
        {
            var truth = Curve(CapacityStudy.ToFeatures, m);
            Assert.That(truth, Is.Ordered.Ascending, $"{m} to the features");
            Assert.That(truth[^1], Is.GreaterThan(truth[0] + 0.1), $"{m} to the features");
            var between = Curve(CapacityStudy.BetweenModels, m);
            Assert.That(between[^1], Is.GreaterThan(between[0]), $"{m} between models");
        }
        Assert.That(Curve(CapacityStudy.SaeToFeatures, "cka"), Is.All.GreaterThan(0.05));
        foreach (var w in Small.SaeWidths)
            foreach (var recovery in new[] { "mcc", "uniqueness", "f1" })
                Assert.That(result.Summary[$"{CapacityStudy.SaeToFeatures}.{recovery}.width{w}"], Is.InRange(0.0, 1.0), $"{recovery} at {w} latents");
        Assert.That(result.Files, Is.SupersetOf(new[] { "alignment_vs_width.png", "sae_alignment_vs_width.png" }));
        AssertFigures(result);
    }

    [Test]
    public void NonPositiveWidthOrOneSeedIsBadInputAndWritesNothing()
    {
        var e = Assert.Throws<InvalidInputException>(() => CapacityStudy.Run(Small with { Widths = [4, 0] }, Root));
        Assert.That(e!.Message, Does.StartWith("widths: 0"));
        e = Assert.Throws<InvalidInputException>(() => CapacityStudy.Run(Small with { Seeds = [0] }, Root));
        Assert.That(e!.Message, Does.Contain("at least 2 seeds"));
        e = Assert.Throws<InvalidInputException>(() => CapacityStudy.Run(Small with { SaeWidths = [4] }, Root));
        Assert.That(e!.Message, Does.Contain("k must be between 1 and d_sae = 4"));
        Assert.That(Directory.Exists(Root), Is.False);
    }
}
