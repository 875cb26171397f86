using SaeAlign.Core;

namespace SaeAlign.ToyModels.Tests;

public class ToyModelTrainerTests
{
    private static readonly ToyModelConfig Small = new()
    {
        Features = 16, Neurons = 4, Probability = 0.1, Steps = 150, Batch = 256, EvalRows = 100,
    };

    [Test]
    public void SameSeedTwiceGivesIdenticalWeights()
    {
        var a = new ToyModelTrainer(Small).Train([3]);
        var b = new ToyModelTrainer(Small).Train([3]);
        Assert.That(b[0].W, Is.EqualTo(a[0].W));
        Assert.That(b[0].Bias, Is.EqualTo(a[0].Bias));
        Assert.That(b[0].LossCurve, Is.EqualTo(a[0].LossCurve));
    }

    [Test]
    public void OnTheCpuDeviceTrainingIsTheDefaultBitForBit() =>
        Assert.That(new ToyModelTrainer(Small, TorchSharp.torch.CPU).Train([3])[0].W, Is.EqualTo(new ToyModelTrainer(Small).Train([3])[0].W));

    [Test]
    public void OnCudaTrainingMatchesTheCpuWithinFloatRounding()
    {
        if (!TorchSharp.torch.cuda.is_available()) Assert.Ignore("No CUDA in this build or on this machine (the CPU-only TorchSharp backend): skipped, not failed.");
        var cpu = new ToyModelTrainer(Small).Train([3]);
        var gpu = new ToyModelTrainer(Small, TorchSharp.torch.CUDA).Train([3]);
        Assert.That(gpu[0].W, Is.EqualTo(cpu[0].W).Within(1e-3));
        Assert.That(gpu[0].LossCurve[^1], Is.EqualTo(cpu[0].LossCurve[^1]).Within(1e-4));
    }

    [Test]
    public void SeedsDifferOnlyInTheirInitialisation()
    {
        var both = new ToyModelTrainer(Small).Train([0, 1]);
        Assert.That(both[1].W, Is.Not.EqualTo(both[0].W));
        // Training side by side equals training alone: each model sees the same batches either way.
        var alone = new ToyModelTrainer(Small).Train([1]);
        Assert.That(alone[0].W, Is.EqualTo(both[1].W).Within(1e-6));
    }

    [Test]
    public void LossFallsDuringTraining()
    {
        var model = new ToyModelTrainer(Small with { Steps = 400 }).Train([0])[0];
        Assert.That(model.LossCurve, Has.Length.EqualTo(400));
        Assert.That(model.LossCurve.TakeLast(50).Average(), Is.LessThan(0.7 * model.LossCurve.Take(50).Average()));
    }

    [Test]
    public void HiddenActivationsFollowTheArchitecture()
    {
        var stimuli = TorchSharp.torch.tensor(new float[] { 1, 0, 0.5f, 0 }).reshape(1, 4);
        float[] w = [1, -1, -2, 0.5f, 3, 1, 0, 0];
        var relu = new TrainedToyModel(0, ToyArchitecture.HiddenRelu, 4, 2, w, new float[4], []);
        var linear = relu with { Architecture = ToyArchitecture.ReluOutput };
        // x W = [1 + 1.5, -1 + 0.5] = [2.5, -0.5].
        Assert.That(linear.Hidden(stimuli).data<float>().ToArray(), Is.EqualTo(new[] { 2.5f, -0.5f }));
        Assert.That(relu.Hidden(stimuli).data<float>().ToArray(), Is.EqualTo(new[] { 2.5f, 0f }));
    }

    [Test]
    public void NonFiniteLossStopsTrainingAndNamesTheStep()
    {
        var trainer = new ToyModelTrainer(Small with { LearningRate = 1e10 });
        var e = Assert.Throws<TrainingDivergedException>(() => trainer.Train([0]));
        Assert.That(e!.Message, Does.Match(@"at step \d+ of 150"));
    }

    [TestCase(0, 4, 0.1, 10, "features")]
    [TestCase(16, 0, 0.1, 10, "neurons")]
    [TestCase(16, 4, 0.0, 10, "probability")]
    [TestCase(16, 4, 1.5, 10, "probability")]
    [TestCase(16, 4, 0.1, 0, "steps")]
    public void InvalidConfigNamesTheField(int features, int neurons, double probability, int steps, string field)
    {
        var config = Small with { Features = features, Neurons = neurons, Probability = probability, Steps = steps };
        var e = Assert.Throws<InvalidInputException>(() => new ToyModelTrainer(config).Train([0]));
        Assert.That(e!.Message, Does.StartWith(field + " must"));
    }

    [Test]
    public void RepeatedOrNegativeSeedsAreRejected()
    {
        Assert.Throws<InvalidInputException>(() => new ToyModelTrainer(Small).Train([1, 1]));
        Assert.Throws<InvalidInputException>(() => new ToyModelTrainer(Small).Train([-1]));
        Assert.Throws<InvalidInputException>(() => new ToyModelTrainer(Small).Train([]));
    }
}
