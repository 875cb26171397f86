using SaeAlign.Core;

namespace SaeAlign.Core.Tests;

public class ActivationSetTests
{
    [Test]
    public void IndexesRowMajorWithDefaultIdsAndNames()
    {
        var set = new ActivationSet([1, 2, 3, 4, 5, 6], rows: 2, columns: 3);
        Assert.That(set[1, 0], Is.EqualTo(4f));
        Assert.That(set.Row(1).ToArray(), Is.EqualTo(new float[] { 4, 5, 6 }));
        Assert.That(set.Stimuli, Is.EqualTo(new long[] { 0, 1 }));
        Assert.That(set.UnitNames, Is.EqualTo(new[] { "u0000", "u0001", "u0002" }));
    }

    [Test]
    public void ShapeMismatchesAreRejected()
    {
        Assert.Throws<ArgumentException>(() => new ActivationSet([1, 2, 3], rows: 2, columns: 2));
        Assert.Throws<ArgumentException>(() => new ActivationSet([1, 2], rows: 1, columns: 2, stimuli: [0, 1]));
        Assert.Throws<ArgumentException>(() => new ActivationSet([1, 2], rows: 1, columns: 2, unitNames: ["a"]));
    }

    [Test]
    public void NonFiniteValueIsNamedByRowAndColumn()
    {
        var set = new ActivationSet([1, 2, 3, float.NaN], rows: 2, columns: 2, unitNames: ["a", "b"]);
        var e = Assert.Throws<InvalidInputException>(() => set.EnsureFinite("acts.parquet"));
        Assert.That(e!.Message, Does.Contain("acts.parquet").And.Contain("row 1").And.Contain("column 1").And.Contain("(b)"));
    }
}
