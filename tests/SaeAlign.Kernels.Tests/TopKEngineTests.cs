using SaeAlign.Core;
using SaeAlign.Sae;

namespace SaeAlign.Kernels.Tests;

/// <summary>
/// The ilgpu engine (on ILGPU's CPU accelerator) against the torch engine: the same SAE from the same start on the same
/// batches, through SaeTrainer, so everything but the step (order, schedule, checkpoints, evaluation) is shared.
/// </summary>
public class TopKEngineTests
{
    private static ActivationSet data = null!;

    [OneTimeSetUp]
    public void MakeData()
    {
        // Sparse non-negative features in superposition over 12 units: something a TopK SAE can learn.
        var random = new Random(7);
        const int rows = 1536, features = 24, units = 12;
        var directions = Enumerable.Range(0, features * units).Select(_ => random.NextDouble() * 2 - 1).ToArray();
        var values = new float[rows * units];
        for (int r = 0; r < rows; r++)
            for (int f = 0; f < features; f++)
            {
                if (random.NextDouble() > 0.1) continue;
                double a = random.NextDouble();
                for (int u = 0; u < units; u++) values[r * units + u] += (float)(a * directions[f * units + u]);
            }
        data = new ActivationSet(values, rows, units);
    }

    private static TopKSaeConfig Config(int steps, int deadWindow = 50) =>
        new() { DSae = 40, K = 4, AuxK = 6, Batch = 128, Steps = steps, LearningRate = 3e-3, Seed = 5, DeadWindow = deadWindow, TrainFraction = 0.75 };

    /// <summary>Wide and small-batched: 32 rows pick at most 64 of 256 latents, so with a window of 1 most are dead from the second step and AuxK works.</summary>
    private static TopKSaeConfig Sparse(int steps, int deadWindow) => Config(steps, deadWindow) with { DSae = 256, K = 2, Batch = 32, AuxKCoefficient = 0.5 };

    private static SaeTrainingResult Train(SaeConfig config, SaeEngine engine, SaeTrainerOptions? options = null) =>
        new SaeTrainer(config, (options ?? new SaeTrainerOptions()) with { Engine = engine }).Train(data);

    private static double MaxDifference(float[] a, float[] b) => a.Zip(b, (x, y) => Math.Abs((double)x - y)).Max();

    /// <summary>Both engines take the same few steps: equal weights, losses, L0 and dead fraction within float rounding.</summary>
    private static void AssertSameSteps(SaeConfig config)
    {
        var torch = Train(config, SaeEngine.Torch);
        var ilgpu = Train(config, SaeEngine.Ilgpu);
        // The same float32 terms summed in other orders: differences of a few ulps, far below any real error.
        Assert.That(MaxDifference(ilgpu.Dictionary.WEnc, torch.Dictionary.WEnc), Is.LessThan(1e-5));
        Assert.That(MaxDifference(ilgpu.Dictionary.WDec, torch.Dictionary.WDec), Is.LessThan(1e-5));
        Assert.That(MaxDifference(ilgpu.Dictionary.BEnc, torch.Dictionary.BEnc), Is.LessThan(1e-5));
        Assert.That(MaxDifference(ilgpu.Dictionary.BDec, torch.Dictionary.BDec), Is.LessThan(1e-5));
        Assert.That(ilgpu.Curve.Select(p => (double)p.Loss), Is.EqualTo(torch.Curve.Select(p => (double)p.Loss)).Within(1e-5));
        Assert.That(ilgpu.Curve.Select(p => (double)p.L0), Is.EqualTo(torch.Curve.Select(p => (double)p.L0)));
        Assert.That(ilgpu.Curve[^1].DeadFraction, Is.EqualTo(torch.Curve[^1].DeadFraction));
    }

    /// <summary>Both engines train a whole run: the dictionaries within <paramref name="wDecTolerance"/>, the same FVU and L0, and it learns.</summary>
    private static void AssertSameRun(SaeConfig config, double wDecTolerance)
    {
        var torch = Train(config, SaeEngine.Torch);
        var ilgpu = Train(config, SaeEngine.Ilgpu);
        TestContext.Out.WriteLine($"{config.Architecture.Name}, {torch.Curve.Count} steps: FVU torch {torch.Evaluation.Fvu:0.0000}, ilgpu {ilgpu.Evaluation.Fvu:0.0000}; max |ΔW_dec| {MaxDifference(ilgpu.Dictionary.WDec, torch.Dictionary.WDec):0.0e0}");
        Assert.That(MaxDifference(ilgpu.Dictionary.WDec, torch.Dictionary.WDec), Is.LessThan(wDecTolerance));
        Assert.That(ilgpu.Evaluation.Fvu, Is.EqualTo(torch.Evaluation.Fvu).Within(0.01));
        Assert.That(ilgpu.Evaluation.L0, Is.EqualTo(torch.Evaluation.L0).Within(0.05));
        Assert.That(ilgpu.Evaluation.Fvu, Is.LessThan(0.5), "it learns");
    }

    [TestCase(1, 50)]
    [TestCase(3, 1)]
    public void AFewStepsGiveTheTorchEnginesWeightsAndLoss(int steps, int deadWindow) => AssertSameSteps(Sparse(steps, deadWindow));

    /// <summary>paper-toy as the paper trains it (data in order, AdamW with decay 0.01), on <paramref name="dSae"/> latents.</summary>
    private static PaperToySaeConfig PaperToy(int steps, int dSae, int k, int batch) =>
        new() { DSae = dSae, K = k, Batch = batch, Steps = steps, AuxKCoefficient = 0.5, LearningRate = 3e-3, Seed = 5, DeadWindow = 1 };

    // 256 latents, 32 rows of k 2: at least 192 latents are batch-dead every step, so the dense dead term is most of the step.
    // 8 latents, 128 rows of k 4: every latent fires, and the dead term is b_dec's alone.
    [TestCase(1, 256, 2, 32)]
    [TestCase(3, 256, 2, 32)]
    [TestCase(3, 8, 4, 128)]
    public void AFewPaperToyStepsGiveTheTorchEnginesWeightsAndLoss(int steps, int dSae, int k, int batch) => AssertSameSteps(PaperToy(steps, dSae, k, batch));

    // Rounding differences grow through 60 AdamW steps but stay small unless a top-k choice flips on a near tie.
    [Test]
    public void ATrainingRunMatchesTheTorchEnginesWithinFloatTolerance() => AssertSameRun(Config(steps: 60, deadWindow: 5), wDecTolerance: 1e-2);

    // The paper's shape (64 latents, k 7, data in order) with a batch that learns in 60 steps on 1,536 rows; at this rate the
    // runs stay ~1e-5 apart here (at a rate of 1e-2, near-tie selections flip and they part), so the tolerance is the topk
    // run's, for CPUs whose products round otherwise.
    [Test]
    public void APaperToyRunMatchesTheTorchEnginesWithinFloatTolerance() =>
        AssertSameRun(new PaperToySaeConfig { K = 7, Batch = 64, Steps = 60, LearningRate = 3e-3, Seed = 3 }, wDecTolerance: 1e-2);

    /// <summary>Stops a run on <paramref name="stopping"/> at <paramref name="stopAt"/> (checkpointing every <paramref name="every"/> steps) and resumes it on <paramref name="resuming"/>.</summary>
    private static SaeTrainingResult StopAndResume(SaeConfig config, SaeEngine stopping, SaeEngine resuming, int stopAt, int every)
    {
        var checkpoint = Path.Combine(Path.GetTempPath(), $"saealign-ilgpu-{Guid.NewGuid():N}.safetensors");
        try
        {
            var options = new SaeTrainerOptions { CheckpointPath = checkpoint, CheckpointEvery = every };
            using var cancel = new CancellationTokenSource();
            var stop = new ProgressCallback<SaeTrainingProgress>(p => { if (p.Step == stopAt) cancel.Cancel(); });
            Assert.Throws<OperationCanceledException>(() => new SaeTrainer(config, options with { Engine = stopping }).Train(data, stop, cancel.Token));
            var resumed = Train(config, resuming, options with { Resume = true });
            Assert.That(resumed.ResumedFromStep, Is.EqualTo(stopAt));
            return resumed;
        }
        finally
        {
            File.Delete(checkpoint);
        }
    }

    [Test]
    public void AResumedIlgpuRunEndsAsAnUninterruptedOne()
    {
        var config = Config(steps: 20, deadWindow: 3);
        var uninterrupted = Train(config, SaeEngine.Ilgpu);
        var resumed = StopAndResume(config, SaeEngine.Ilgpu, SaeEngine.Ilgpu, stopAt: 9, every: 4);
        // Atomic gradient sums may add in another order on another run: equal within float rounding.
        Assert.That(MaxDifference(resumed.Dictionary.WDec, uninterrupted.Dictionary.WDec), Is.LessThan(1e-4));
        Assert.That(resumed.Curve.Count, Is.EqualTo(uninterrupted.Curve.Count));
    }

    [TestCase("topk")]
    [TestCase("paper-toy")]
    public void ATorchCheckpointResumesOnTheIlgpuEngine(string architecture)
    {
        SaeConfig config = architecture == "topk" ? Config(steps: 12, deadWindow: 3) : PaperToy(steps: 12, dSae: 40, k: 4, batch: 64);
        var torch = Train(config, SaeEngine.Torch);
        var resumed = StopAndResume(config, SaeEngine.Torch, SaeEngine.Ilgpu, stopAt: 6, every: 6);
        Assert.That(MaxDifference(resumed.Dictionary.WDec, torch.Dictionary.WDec), Is.LessThan(1e-4), "one checkpoint format, the same state names");
    }

    [Test]
    public void AnArchitectureTheEngineDoesNotTrainIsBadInputNamingTheEngine()
    {
        var error = Assert.Throws<InvalidInputException>(() => Train(SaeArchitecture.ReluL1.Shaped(40, 0) with { Steps = 1 }, SaeEngine.Ilgpu))!;
        Assert.That(error.Message, Does.StartWith("engine ilgpu trains the topk and paper-toy architectures; relu-l1 needs the torch engine"));
    }

    [Test]
    public void AShapeTheKernelsCannotTakeIsBadInputNamingTheEngine()
    {
        // AuxK's k above the per-row selection's limit (the default d_in / 2 reaches it at d_in 8,194).
        var error = Assert.Throws<InvalidInputException>(() => Train(Config(steps: 1) with { DSae = RowTopK.MaxK + 8, AuxK = RowTopK.MaxK + 1 }, SaeEngine.Ilgpu))!;
        Assert.That(error.Message, Does.StartWith($"engine ilgpu cannot train this SAE: AuxK's k must be in 1..{RowTopK.MaxK}"));
    }

    [Test]
    public void ABatchAndDictionaryTheDeviceCannotHoldAreRefusedNamingTheNeed()
    {
        // d_in 2,048, 65,536 latents, k 32, AuxK 1,024, batch 4,096: 4 x 268.5 M floats of weights, gradient and moments,
        // and 331.8 M floats of batch buffers (268.4 M of them the pre-activations).
        var settings = new TopKEngineSettings(2048, 65536, 32, 1024, 1.0 / 32, 50, 0, true, 4096);
        Assert.That(settings.DeviceBytes, Is.EqualTo(5_623_840_776L));
        var error = Assert.Throws<InvalidInputException>(() => IlgpuTrainingEngine.RequireFits(settings, 4_000_000_000L, 0, "a 4 GB GPU"))!;
        Assert.That(error.Message, Is.EqualTo("engine ilgpu needs about 5.6 GB on a 4 GB GPU for d_in 2048, dSae 65536 and batch 4096, which has 4.0 GB free; a smaller batch, dictionary or auxK fits."));
        Assert.DoesNotThrow(() => IlgpuTrainingEngine.RequireFits(settings, 8_000_000_000L, 0, "an 8 GB GPU"));
        // An H200 holds 132 x 2,048 threads; AuxK's list of 1,024 entries is 8 KiB a thread: 2.2 GB more.
        Assert.That(settings.LocalBytesPerThread, Is.EqualTo(8192));
        error = Assert.Throws<InvalidInputException>(() => IlgpuTrainingEngine.RequireFits(settings, 7_000_000_000L, 132 * 2048, "a 7 GB GPU"))!;
        Assert.That(error.Message, Does.StartWith("engine ilgpu needs about 7.8 GB on a 7 GB GPU (5.6 GB of buffers, 2.2 GB of the top-k lists' local memory)"));
        Assert.That((settings with { AuxK = 64 }).LocalBytesPerThread, Is.EqualTo(512), "a group's list in shared memory and 64 entries a thread");
    }

    [Test]
    public void OnCudaTheEngineMatchesTheCpuAccelerator()
    {
        if (IlgpuAccelerator.CudaDevices() == 0) Assert.Ignore("The NVIDIA driver reports no GPU here: the CUDA accelerator is skipped (the same kernels ran on the CPU accelerator above).");
        var config = Config(steps: 20, deadWindow: 3);
        var cpu = Train(config, SaeEngine.Ilgpu);
        var gpu = Train(config, SaeEngine.Ilgpu, new SaeTrainerOptions { Device = TorchSharp.torch.CUDA });
        Assert.That(MaxDifference(gpu.Dictionary.WDec, cpu.Dictionary.WDec), Is.LessThan(1e-3));
    }
}
