using SaeAlign.Core;
using SaeAlign.Data;

namespace SaeAlign.Alignment.Tests;

/// <summary>Every metric has one shape (<see cref="IAlignmentMetric"/>): what it declares is what the runner reports.</summary>
public class MetricRegistryTests
{
    [Test]
    public void EveryNameHasOneMetricAndUnknownNamesAreRefused()
    {
        Assert.That(AlignmentMetric.All, Is.Unique);
        Assert.That(AlignmentMetric.All.Select(n => AlignmentMetric.Get(n).Name), Is.EqualTo(AlignmentMetric.All));
        Assert.That(AlignmentMetric.Defaults, Is.SubsetOf(AlignmentMetric.All));
        var error = Assert.Throws<InvalidInputException>(() => AlignmentMetric.Get("cca"));
        Assert.That(error!.Message, Does.Contain("'cca'").And.Contain("semi"));
    }

    [Test]
    public void WhatAMetricDeclaresIsWhatItReports()
    {
        var x = TestData.Gaussian(90, 6, 1);
        var y = TestData.Gaussian(90, 5, 2);
        var triplets = Enumerable.Range(0, 20).Select(i => new Triplet(i, i + 20, i + 40, i + 40)).ToArray();
        var options = new AlignmentOptions { Metrics = AlignmentMetric.All, Cv = CrossValidation.Parse("kfold:3:7"), K = 4, Triplets = triplets };
        var report = AlignmentRunner.Run(new InMemoryPairedRows(x, y), options);
        Assert.That(report.Metrics.Select(m => m.Metric), Is.EqualTo(AlignmentMetric.All));
        foreach (var result in report.Metrics)
        {
            var metric = AlignmentMetric.Get(result.Metric);
            Assert.That(result.Direction, Is.EqualTo(metric.Directional ? "source->target" : "symmetric"), metric.Name);
            if (metric.Fitted)
            {
                Assert.That(result.Protocol, Is.EqualTo("kfold:3:7"), metric.Name);
                Assert.That(result.FoldScores, Has.Count.EqualTo(3), metric.Name);
                Assert.That(result.Sem, Is.Not.Null, metric.Name);
            }
            else
            {
                Assert.That(result.Protocol, Is.Not.EqualTo("kfold:3:7"), metric.Name);
                Assert.That(result.FoldScores, Has.Count.EqualTo(1), metric.Name);
            }
        }
    }

    [Test]
    public void MetricsSharingAComputationScoreAsTheyDoAlone()
    {
        var x = TestData.Gaussian(120, 7, 3);
        var y = TestData.Gaussian(120, 6, 4);
        var rows = new InMemoryPairedRows(x, y);
        var options = new AlignmentOptions { Metrics = ["semi", "soft", "one-to-one", "procrustes", "procrustes-angle"], Cv = CrossValidation.Parse("kfold:4:2") };
        var together = AlignmentRunner.Run(rows, options).Metrics;
        foreach (var result in together)
        {
            var alone = AlignmentRunner.Run(rows, options with { Metrics = [result.Metric] }).Metrics.Single();
            Assert.That(alone.FoldScores, Is.EqualTo(result.FoldScores), result.Metric);
        }
    }

    [Test]
    public void TheSparseRouteIsDeclaredByTheMetricsThatHaveIt() =>
        Assert.That(SparseAlignmentRunner.SparseMetrics, Is.EquivalentTo(new[] { "semi", "soft", "one-to-one", "ridge", "cka" }));
}
