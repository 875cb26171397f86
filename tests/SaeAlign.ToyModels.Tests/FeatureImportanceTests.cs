namespace SaeAlign.ToyModels.Tests;

public class FeatureImportanceTests
{
    [Test]
    public void PaperPowerLawFallsFromOneToAQuarterAtTheMiddle()
    {
        var w = FeatureImportanceWeights.For(FeatureImportance.Paper, 64);
        Assert.That(w[0], Is.EqualTo(1f));
        Assert.That(w[32], Is.EqualTo(0.25f).Within(1e-7));
        Assert.That(w[63], Is.EqualTo((float)Math.Pow(1 + 2.0 * 63 / 64, -2)).Within(1e-7));
        Assert.That(w, Is.Ordered.Descending);
    }

    [Test]
    public void ElhageIsGeometricAndUniformIsFlat()
    {
        Assert.That(FeatureImportanceWeights.For(FeatureImportance.Elhage, 3), Is.EqualTo(new[] { 1f, 0.9f, 0.81f }).Within(1e-6));
        Assert.That(FeatureImportanceWeights.For(FeatureImportance.Uniform, 3), Is.EqualTo(new[] { 1f, 1f, 1f }));
    }
}
