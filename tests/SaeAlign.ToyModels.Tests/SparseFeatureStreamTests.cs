namespace SaeAlign.ToyModels.Tests;

public class SparseFeatureStreamTests
{
    [Test]
    public void SameSeedGivesTheSameBatchesInTheSameOrder()
    {
        using var a = new SparseFeatureStream(16, 0.2, seed: 7);
        using var b = new SparseFeatureStream(16, 0.2, seed: 7);
        for (int i = 0; i < 3; i++)
            Assert.That(b.Next(32).data<float>().ToArray(), Is.EqualTo(a.Next(32).data<float>().ToArray()));
    }

    [Test]
    public void FeaturesAreActiveWithProbabilityPAndUniformWhenActive()
    {
        using var stream = new SparseFeatureStream(64, 0.1, seed: 1);
        var values = stream.Next(20_000).data<float>().ToArray();
        var active = values.Where(v => v != 0).ToArray();
        double fraction = (double)active.Length / values.Length;
        // 1.28M Bernoulli(0.1) draws: the standard error of the fraction is 2.7e-4.
        Assert.That(fraction, Is.EqualTo(0.1).Within(0.002));
        Assert.That(active.Min(), Is.GreaterThanOrEqualTo(0f));
        Assert.That(active.Max(), Is.LessThan(1f));
        Assert.That(active.Average(), Is.EqualTo(0.5).Within(0.005));
    }

    [Test]
    public void DifferentSeedsGiveDifferentStimuli()
    {
        using var a = new SparseFeatureStream(8, 0.5, seed: 1);
        using var b = new SparseFeatureStream(8, 0.5, seed: 2);
        Assert.That(b.Next(16).data<float>().ToArray(), Is.Not.EqualTo(a.Next(16).data<float>().ToArray()));
    }
}
