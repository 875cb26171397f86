namespace SaeAlign.Alignment.Tests;

/// <summary>The dense route's memory estimate: what grows with the rows only when they are held, and the metric named.</summary>
public class MemoryBudgetTests
{
    [Test]
    public void StreamedRowsCostNothingPerRowHeldRowsCostTheirFloats()
    {
        long streamed = MemoryBudget.Dense(0, 10_000, 64, 64, 5, ["semi", "soft", "ridge", "cka"]);
        Assert.That(streamed, Is.LessThan(10_000_000), "a = b = 64 needs a few MB of moments, whatever N");
        long held = MemoryBudget.Dense(100_000_000, 10_000, 64, 64, 5, ["semi"]);
        Assert.That(held - MemoryBudget.Dense(0, 10_000, 64, 64, 5, ["semi"]), Is.EqualTo(4L * 100_000_000 * 128));
    }

    [Test]
    public void ARunThatDoesNotFitNamesTheMetricThatMakesItTooBig()
    {
        var options = new AlignmentOptions { Metrics = ["semi", "ridge"], MemoryLimit = 20_000_000_000 };
        var error = Assert.Throws<Core.InvalidInputException>(() => MemoryBudget.RequireDenseFits(20_000, 8192, 8192, options, "sae->sae"));
        Assert.That(error!.Message, Does.StartWith("sae->sae: metrics ridge on 20,000 stimuli x 8,192 source and 8,192 target units needs about"));
        Assert.DoesNotThrow(() => MemoryBudget.RequireDenseFits(100_000_000, 64, 64, options with { Metrics = ["semi", "ridge"] }, rowsInMemory: false));
    }
}
