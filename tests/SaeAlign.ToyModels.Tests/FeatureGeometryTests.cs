namespace SaeAlign.ToyModels.Tests;

public class FeatureGeometryTests
{
    [Test]
    public void OrthogonalFeaturesEachHaveOneDimension()
    {
        var g = FeatureGeometry.Of([1, 0, 0, 1], features: 2, neurons: 2);
        Assert.That(g.Dimensionality, Is.EqualTo(new[] { 1.0, 1.0 }).Within(1e-12));
        Assert.That(g.DimensionsPerFeature, Is.EqualTo(1.0).Within(1e-12));
        Assert.That(g.RepresentedFeatures, Is.EqualTo(2));
    }

    [Test]
    public void AntipodalPairSharesOneDimension()
    {
        var g = FeatureGeometry.Of([1, -1], features: 2, neurons: 1);
        Assert.That(g.Dimensionality, Is.EqualTo(new[] { 0.5, 0.5 }).Within(1e-12));
        Assert.That(g.DimensionsPerFeature, Is.EqualTo(0.5).Within(1e-12));
    }

    [Test]
    public void UnlearnedFeatureHasZeroDimensionsAndIsNotRepresented()
    {
        // Feature 0 has norm 2 along neuron 0, feature 1 is off, feature 2 is half along neuron 0 and half along neuron 1.
        var g = FeatureGeometry.Of([2, 0, 0, 0, 0.6f, 0.8f], features: 3, neurons: 2);
        Assert.That(g.Norms, Is.EqualTo(new[] { 2.0, 0.0, 1.0 }).Within(1e-6));
        Assert.That(g.Dimensionality[1], Is.Zero);
        // D0 = 4 / (2^2 + 0.6^2), with Ŵ0 = (1, 0); D2 = 1 / (1.2^2 + 1^2), with Ŵ2 = (0.6, 0.8).
        Assert.That(g.Dimensionality[0], Is.EqualTo(4 / (4 + 0.36)).Within(1e-6));
        Assert.That(g.Dimensionality[2], Is.EqualTo(1 / (1.44 + 1)).Within(1e-6));
        Assert.That(g.DimensionsPerFeature, Is.EqualTo(2 / 5.0).Within(1e-6));
        Assert.That(g.RepresentedFeatures, Is.EqualTo(2));
    }

    [Test]
    public void RejectsWeightsOfTheWrongSize() =>
        Assert.Throws<ArgumentException>(() => FeatureGeometry.Of([1, 2, 3], features: 2, neurons: 2));
}
