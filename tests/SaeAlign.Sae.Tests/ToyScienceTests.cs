using SaeAlign.Core;

namespace SaeAlign.Sae.Tests;

/// <summary>
/// The "done when" check on a shortened paper-64x32 run: SAE latents track the ground-truth
/// features better than the neurons do (mean over features of the best Pearson correlation, held-out rows).
/// </summary>
public class ToyScienceTests
{
    private static (ToyModels.ToyEvaluation Evaluation, ToyModels.TrainedToyModel Model) toy;

    [OneTimeSetUp]
    public void TrainToy() => toy = Samples.Toy(neurons: 32, toySteps: 1500, rows: 30_000);

    [TestCase("paper-toy", 60)]
    [TestCase("topk", 6)]
    [TestCase("matryoshka-batchtopk", 6)]
    [TestCase("gated", 6)]
    public void LatentsTrackFeaturesBetterThanNeurons(string name, int epochs)
    {
        var architecture = SaeArchitecture.Get(name, "test case");
        var hidden = toy.Evaluation.Hidden[0];
        var config = architecture.Shaped(64, 7) with { Batch = 1024, Epochs = epochs, TrainFraction = 0.8, LearningRate = 1e-3 };
        var result = new SaeTrainer(config).Train(hidden);

        int heldOut = result.TrainRows;
        var truth = Slice(toy.Evaluation.Features, heldOut);
        var neurons = Slice(hidden, heldOut);
        var latents = SaeMetrics.Encode(result.Dictionary, neurons);
        double neuronScore = SaeMetrics.MeanBestCorrelation(truth, neurons);
        double latentScore = SaeMetrics.MeanBestCorrelation(truth, latents);
        double meanMaxCosine = GroundTruthRecovery.Measure(result.Dictionary, toy.Model.W, toy.Model.Features, neurons).MeanMaxCosine;
        TestContext.Out.WriteLine($"{architecture}: latents {latentScore:0.000}, neurons {neuronScore:0.000}, FVU {result.Evaluation.Fvu:0.000}, L0 {result.Evaluation.L0:0.00}, mean max cosine {meanMaxCosine:0.000}");

        Assert.That(latentScore, Is.GreaterThan(neuronScore));
        Assert.That(result.Evaluation.Fvu, Is.LessThan(0.5));
        Assert.That(meanMaxCosine, Is.GreaterThan(0.5), "decoder directions along the toy's features");
    }

    [Test]
    public void FeatureRecoveryIsPerfectForADictionaryOfTheTrueDirections()
    {
        var model = toy.Model;
        var dictionary = new SaeDictionary(SaeArchitecture.ReluL1, model.Neurons, model.Features, 0,
            new float[model.Neurons * model.Features], model.W, new float[model.Features], new float[model.Neurons], null, null, new Dictionary<string, string>());
        var recovery = GroundTruthRecovery.Measure(dictionary, model.W, model.Features, toy.Evaluation.Hidden[0], toy.Evaluation.Features);
        Assert.That(recovery.MeanMaxCosine, Is.EqualTo(1.0).Within(1e-5));
        Assert.That(recovery.Recovered, Is.EqualTo(model.Features));
        Assert.That((recovery.Mcc, recovery.Uniqueness), Is.EqualTo((1.0, 1.0)).Within(1e-5), "each latent is its own feature");
    }

    private static ActivationSet Slice(ActivationSet set, int from) => set.Slice(from, set.Rows - from);
}
