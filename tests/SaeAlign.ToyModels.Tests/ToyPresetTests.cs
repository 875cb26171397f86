using SaeAlign.Core;

namespace SaeAlign.ToyModels.Tests;

public class ToyPresetTests
{
    [Test]
    public void ShipsThePaperAndElhagePresets() =>
        Assert.That(ToyPreset.Names, Is.EquivalentTo(new[] { "elhage-20x5", "elhage-5x2", "paper-64x16", "paper-64x32", "paper-64x8" }));

    [TestCase("paper-64x8", 8)]
    [TestCase("paper-64x16", 16)]
    [TestCase("paper-64x32", 32)]
    public void PaperPresetsMatchThePaper(string name, int neurons)
    {
        var config = ToyPreset.Load(name).Config;
        Assert.That(config, Is.EqualTo(new ToyModelConfig
        {
            Architecture = ToyArchitecture.HiddenRelu, Features = 64, Neurons = neurons, Probability = 0.1,
            Importance = FeatureImportance.Paper, Steps = 10_000, Batch = 1024, LearningRate = 1e-3, WeightDecay = 0.01,
            EvalRows = 100_000,
        }));
    }

    [Test]
    public void ElhagePresetsUseTheReluOutputModel()
    {
        foreach (var name in new[] { "elhage-5x2", "elhage-20x5" })
        {
            var config = ToyPreset.Load(name).Config;
            Assert.That(config.Architecture, Is.EqualTo(ToyArchitecture.ReluOutput), name);
            Assert.That(config.Importance, Is.EqualTo(FeatureImportance.Elhage), name);
            Assert.DoesNotThrow(config.Validate, name);
        }
    }

    [Test]
    public void UnknownPresetListsTheKnownOnes()
    {
        var e = Assert.Throws<InvalidInputException>(() => ToyPreset.Load("paper-64x64"));
        Assert.That(e!.Message, Does.StartWith("preset: ").And.Contain("paper-64x32"));
    }
}
