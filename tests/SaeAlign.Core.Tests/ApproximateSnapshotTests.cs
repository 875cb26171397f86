using System.Text.Json.Nodes;
using SaeAlign.Testing;

namespace SaeAlign.Core.Tests;

/// <summary>The approximate snapshot compares numbers within the tolerance and everything else exactly.</summary>
public class ApproximateSnapshotTests
{
    private static readonly Tolerance Tolerance = new(0.005, 0.02);

    [TestCase(0.2366, 0.2358, true)]
    [TestCase(0.2366, 0.2456, true)]
    [TestCase(0.2366, 0.2566, false)]
    [TestCase(-48.5, -49.4, true)]
    [TestCase(-48.5, -50.0, false)]
    public void ANumberPassesWithinAbsolutePlusRelativeTolerance(double expected, double actual, bool passes) =>
        Assert.That(Tolerance.Allows(expected, actual), Is.EqualTo(passes));

    [Test]
    public void NumbersWithinToleranceMatch()
    {
        var differences = ApproximateSnapshot.Differences(
            JsonNode.Parse("""{"table": ["| # ± # |"], "numbers": [[0.2366, 0.004]]}"""),
            JsonNode.Parse("""{"table": ["| # ± # |"], "numbers": [[0.2358, 0.0044]]}"""), Tolerance);
        Assert.That(differences, Is.Empty);
    }

    [Test]
    public void StructureTextAndFarNumbersAreReportedWithTheirPaths()
    {
        var differences = ApproximateSnapshot.Differences(
            JsonNode.Parse("""{"table": ["a"], "numbers": [[0.2366, 0.004]], "gone": 1}"""),
            JsonNode.Parse("""{"table": ["b"], "numbers": [[0.30, 0.004, 1.0]], "new": true}"""), Tolerance);
        Assert.That(differences, Is.EquivalentTo(new[]
        {
            "$.table[0]: \"b\", snapshot \"a\"",
            "$.numbers[0]: 3 items, snapshot has 2",
            "$.gone: missing",
            "$.new: unexpected",
        }));
    }

    [Test]
    public void ANumberAgainstAStringIsADifference()
    {
        var differences = ApproximateSnapshot.Differences(JsonNode.Parse("""{"x": 1}"""), JsonNode.Parse("""{"x": "1"}"""), Tolerance);
        Assert.That(differences, Has.Count.EqualTo(1));
    }
}
