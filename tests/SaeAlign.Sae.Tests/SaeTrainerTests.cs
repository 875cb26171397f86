using System.Text.Json.Nodes;
using SaeAlign.Core;

namespace SaeAlign.Sae.Tests;

public class SaeTrainerTests
{
    private static ActivationSet hidden = null!;

    [OneTimeSetUp]
    public void MakeData() => hidden = Samples.Toy(neurons: 16, toySteps: 400, rows: 8192).Evaluation.Hidden[0];

    private static SaeConfig Small(SaeArchitecture architecture) =>
        architecture.Shaped(48, 6) with { Batch = 512, Epochs = 4, LearningRate = 3e-3, Seed = 3 };

    [TestCase("relu-l1")]
    [TestCase("topk")]
    [TestCase("batchtopk")]
    [TestCase("jumprelu")]
    [TestCase("paper-toy")]
    [TestCase("matryoshka-batchtopk")]
    [TestCase("gated")]
    public void EveryArchitectureLearnsASparseReconstruction(string name)
    {
        var architecture = SaeArchitecture.Get(name, "test case");
        // JumpReLU's threshold moves by about lr per step; a short run needs a start near the activations' scale.
        var config = architecture == SaeArchitecture.JumpRelu
            ? (JumpReluSaeConfig)Small(architecture) with { InitThreshold = 0.2, Bandwidth = 0.1, L0Coefficient = 0.3, LearningRate = 1e-2 }
            : Small(architecture);
        var result = new SaeTrainer(config).Train(hidden);
        TestContext.Out.WriteLine($"{architecture}: FVU {result.Evaluation.Fvu:0.000}, L0 {result.Evaluation.L0:0.00}, dead {result.Evaluation.DeadFraction:0.00}, first loss {result.Curve[0].Loss}, last {result.Curve[^1].Loss}");
        Assert.Multiple(() =>
        {
            Assert.That(result.Evaluation.Fvu, Is.LessThan(0.7));
            Assert.That(result.Evaluation.L0, Is.LessThan(24));
            Assert.That(result.Curve[^1].Loss, Is.LessThan(result.Curve[0].Loss));
            Assert.That(result.Dictionary.Density, Has.Length.EqualTo(48));
        });
        if (architecture == SaeArchitecture.TopK || architecture == SaeArchitecture.PaperToy)
            Assert.That(result.Evaluation.L0, Is.LessThanOrEqualTo(6.0 + 1e-9));
    }

    [Test]
    public void SameSeedGivesIdenticalWeights()
    {
        var a = new SaeTrainer(Small(SaeArchitecture.TopK)).Train(hidden).Dictionary;
        var b = new SaeTrainer(Small(SaeArchitecture.TopK)).Train(hidden).Dictionary;
        var c = new SaeTrainer(Small(SaeArchitecture.TopK) with { Seed = 4 }).Train(hidden).Dictionary;
        Assert.That(a.WDec, Is.EqualTo(b.WDec));
        Assert.That(a.WDec, Is.Not.EqualTo(c.WDec));
    }

    [Test]
    public void UnitNormDecoderKeepsRowsAtUnitNorm()
    {
        var dictionary = new SaeTrainer(Small(SaeArchitecture.TopK) with { NormalizeInput = false }).Train(hidden).Dictionary;
        for (int i = 0; i < dictionary.DSae; i++)
        {
            double norm = Math.Sqrt(dictionary.WDec.AsSpan(i * dictionary.DIn, dictionary.DIn).ToArray().Sum(v => (double)v * v));
            Assert.That(norm, Is.EqualTo(1.0).Within(1e-4), $"row {i}");
        }
    }

    [Test]
    public void InputScalingIsFoldedIntoTheWeights()
    {
        // Training on 10x the activations with normalisation gives codes for the 10x data equal to the codes of the original.
        var scaled = new ActivationSet(hidden.Values.Select(v => v * 10).ToArray(), hidden.Rows, hidden.Columns);
        var plain = new SaeTrainer(Small(SaeArchitecture.TopK)).Train(hidden);
        var big = new SaeTrainer(Small(SaeArchitecture.TopK)).Train(scaled);
        Assert.That(big.InputScale * 10, Is.EqualTo(plain.InputScale).Within(1e-4 * plain.InputScale));
        Assert.That(big.Evaluation.Fvu, Is.EqualTo(plain.Evaluation.Fvu).Within(1e-3));
    }

    // Stopping at a periodic checkpoint, and between checkpoints (the stop itself writes one, at step 13).
    [TestCase(5, 20, "topk")]
    [TestCase(1000, 13, "topk")]
    [TestCase(5, 20, "matryoshka-batchtopk")]
    [TestCase(5, 20, "gated")]
    public void ResumedRunEqualsUninterruptedRun(int checkpointEvery, int stopAt, string architecture)
    {
        var folder = Samples.TempFolder();
        var checkpoint = Path.Combine(folder, "checkpoint.safetensors");
        var config = Small(SaeArchitecture.Get(architecture, "test case")) with { DeadWindow = 3 };
        var uninterrupted = new SaeTrainer(config).Train(hidden);

        using var cancel = new CancellationTokenSource();
        var options = new SaeTrainerOptions { CheckpointPath = checkpoint, CheckpointEvery = checkpointEvery };
        var stop = new Core.ProgressCallback<SaeTrainingProgress>(p => { if (p.Step == stopAt) cancel.Cancel(); });
        Assert.Throws<OperationCanceledException>(() => new SaeTrainer(config, options).Train(hidden, stop, cancel.Token));

        var resumed = new SaeTrainer(config, options with { Resume = true }).Train(hidden);
        Assert.That(resumed.ResumedFromStep, Is.EqualTo(stopAt));
        Assert.That(resumed.Dictionary.WDec, Is.EqualTo(uninterrupted.Dictionary.WDec));
        Assert.That(resumed.Dictionary.WEnc, Is.EqualTo(uninterrupted.Dictionary.WEnc));
        Assert.That(resumed.Dictionary.BDec, Is.EqualTo(uninterrupted.Dictionary.BDec));
        Assert.That(resumed.Curve, Is.EqualTo(uninterrupted.Curve));
    }

    [Test]
    public void ACancelledRunWithoutCheckpointsWritesNone()
    {
        var checkpoint = Path.Combine(Samples.TempFolder(), "checkpoint.safetensors");
        using var cancel = new CancellationTokenSource();
        var stop = new Core.ProgressCallback<SaeTrainingProgress>(p => { if (p.Step == 13) cancel.Cancel(); });
        Assert.Throws<OperationCanceledException>(() =>
            new SaeTrainer(Small(SaeArchitecture.TopK), new SaeTrainerOptions { CheckpointPath = checkpoint }).Train(hidden, stop, cancel.Token));
        Assert.That(File.Exists(checkpoint), Is.False);
    }

    [Test]
    public void AConfigCanBeCheckedBeforeItsActivationsAreKnown()
    {
        Small(SaeArchitecture.TopK).Validate(dIn: null);
        new TopKSaeConfig { K = 100_000 }.Validate(dIn: null);
        Assert.That(Assert.Throws<InvalidInputException>(() => new TopKSaeConfig { K = 0 }.Validate(dIn: null))!.Message,
            Is.EqualTo("k must be at least 1, got 0."));
        Assert.That(Assert.Throws<InvalidInputException>(() => new TopKSaeConfig { DSae = 8, K = 9 }.Validate(dIn: null))!.Message,
            Is.EqualTo("k must be between 1 and d_sae = 8, got 9."));
    }

    [Test]
    public void FieldsNamedLikeTheOptionsFillTheArchitecturesDefaults()
    {
        var paperToy = SaeConfigFields.Read(new JsonObject { ["arch"] = "paper-toy", ["lr"] = 0.01 });
        Assert.That(paperToy, Is.EqualTo(new PaperToySaeConfig { LearningRate = 0.01 }));
        Assert.That(SaeConfigFields.Read([]), Is.EqualTo(SaeArchitecture.TopK.Defaults));
        var full = SaeConfigFields.Write(paperToy);
        Assert.That((full["dSae"]!.GetValue<int>(), full["k"]!.GetValue<int>(), full["shuffle"]!.GetValue<bool>(), full["bDecInit"]!.GetValue<string>()),
            Is.EqualTo((64, 7, false, "zeros")));
        Assert.That(SaeConfigFields.Read(full), Is.EqualTo(paperToy), "writing every default out changes nothing");
        Assert.That(Assert.Throws<InvalidInputException>(() => SaeConfigFields.Read(new JsonObject { ["seed"] = -1 }).Validate(dIn: null))!.Message, Does.StartWith("seed"));
    }

    [Test]
    public void ResumeWithADifferentConfigIsRefusedNamingTheField()
    {
        var folder = Samples.TempFolder();
        var options = new SaeTrainerOptions { CheckpointPath = Path.Combine(folder, "c.safetensors"), CheckpointEvery = 2 };
        new SaeTrainer(Small(SaeArchitecture.TopK), options).Train(hidden);
        var error = Assert.Throws<InvalidInputException>(() =>
            new SaeTrainer((TopKSaeConfig)Small(SaeArchitecture.TopK) with { K = 5 }, options with { Resume = true }).Train(hidden));
        Assert.That(error!.Message, Does.Contain("k: 6 in the checkpoint, 5 now"));
    }

    [TestCase(0, "k")]
    [TestCase(49, "k")]
    public void KOutsideOneToDSaeIsBadInput(int k, string field)
    {
        var error = Assert.Throws<InvalidInputException>(() => new SaeTrainer((TopKSaeConfig)Small(SaeArchitecture.TopK) with { K = k }).Train(hidden));
        Assert.That(error!.Message, Does.StartWith(field + " must"));
    }

    [Test]
    public void NegativeDSaeIsBadInput()
    {
        var error = Assert.Throws<InvalidInputException>(() => new SaeTrainer(Small(SaeArchitecture.ReluL1) with { DSae = -1 }).Train(hidden));
        Assert.That(error!.Message, Does.Contain("dSae"));
    }

    [Test]
    public void EncodingActivationsOfTheWrongWidthIsBadInput()
    {
        var dictionary = new SaeTrainer(Small(SaeArchitecture.TopK) with { Epochs = 1 }).Train(hidden).Dictionary;
        var error = Assert.Throws<InvalidInputException>(() => SaeMetrics.Encode(dictionary, Samples.Random(10, 7, 0)));
        Assert.That(error!.Message, Does.Contain("7 columns").And.Contain("d_in is 16"));
    }

    [Test]
    public void GeometricMedianResistsOutliers()
    {
        var points = TorchSharp.torch.tensor(new float[] { 0, 0, 1, 0, 0, 1, 1, 1, 1000, 1000 }).reshape(5, 2);
        var median = GeometricMedian.Of(points).data<float>().ToArray();
        Assert.That(median[0], Is.LessThan(1.5));
        Assert.That(median[1], Is.LessThan(1.5));
    }
}
