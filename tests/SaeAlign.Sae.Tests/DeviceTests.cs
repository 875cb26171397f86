using SaeAlign.Core;
using SaeAlign.Torch;
using TorchSharp;

namespace SaeAlign.Sae.Tests;

/// <summary>
/// Training and encoding on a device. Here (the CPU-only TorchSharp backend) the CPU device must change nothing; where
/// CUDA is present the same run on the GPU must match the CPU's within float rounding (GEMMs sum in another order).
/// </summary>
public class DeviceTests
{
    private static ActivationSet hidden = null!;

    [OneTimeSetUp]
    public void MakeData() => hidden = Samples.Toy(neurons: 16, toySteps: 400, rows: 4096).Evaluation.Hidden[0];

    private static SaeConfig Short(string architecture) =>
        SaeArchitecture.Get(architecture, "test case").Shaped(48, 6) with { Batch = 512, Epochs = 1, LearningRate = 3e-3, Seed = 3, DeadWindow = 2 };

    [TestCase("topk")]
    [TestCase("paper-toy")]
    [TestCase("gated")]
    [TestCase("jumprelu")]
    public void TheCpuDeviceIsTheDefaultBitForBit(string architecture)
    {
        var plain = new SaeTrainer(Short(architecture)).Train(hidden);
        var onCpu = new SaeTrainer(Short(architecture), new SaeTrainerOptions { Device = torch.CPU }).Train(hidden);
        Assert.That(onCpu.Dictionary.WDec, Is.EqualTo(plain.Dictionary.WDec));
        Assert.That(onCpu.Dictionary.WEnc, Is.EqualTo(plain.Dictionary.WEnc));
        Assert.That(onCpu.Curve, Is.EqualTo(plain.Curve));
        Assert.That(SaeMetrics.EncodeSparse(plain.Dictionary, hidden, device: torch.CPU).Value, Is.EqualTo(SaeMetrics.EncodeSparse(plain.Dictionary, hidden).Value));
    }

    [TestCase("topk")]
    [TestCase("paper-toy")]
    [TestCase("batchtopk")]
    [TestCase("matryoshka-batchtopk")]
    [TestCase("gated")]
    [TestCase("jumprelu")]
    [TestCase("relu-l1")]
    public void OnCudaTrainingMatchesTheCpuWithinFloatRounding(string architecture)
    {
        if (!ComputeDevice.HasCuda) Assert.Ignore("No CUDA in this build or on this machine (the CPU-only TorchSharp backend): skipped, not failed.");
        var cpu = new SaeTrainer(Short(architecture)).Train(hidden);
        var gpu = new SaeTrainer(Short(architecture), new SaeTrainerOptions { Device = torch.CUDA }).Train(hidden);
        // One epoch of 8 steps: rounding differences stay at float precision unless a top-k choice flips on a near tie.
        Assert.That(MaxDifference(gpu.Dictionary.WDec, cpu.Dictionary.WDec), Is.LessThan(1e-3));
        Assert.That(MaxDifference(gpu.Dictionary.WEnc, cpu.Dictionary.WEnc), Is.LessThan(1e-3));
        Assert.That(gpu.Evaluation.Fvu, Is.EqualTo(cpu.Evaluation.Fvu).Within(1e-3));
    }

    [Test]
    public void OnCudaEncodingGivesTheCpuCodes()
    {
        if (!ComputeDevice.HasCuda) Assert.Ignore("No CUDA in this build or on this machine (the CPU-only TorchSharp backend): skipped, not failed.");
        var dictionary = new SaeTrainer(Short("topk")).Train(hidden).Dictionary;
        var cpu = SaeMetrics.EncodeSparse(dictionary, hidden);
        var gpu = SaeMetrics.EncodeSparse(dictionary, hidden, device: torch.CUDA);
        Assert.That(gpu.Rows, Is.EqualTo(cpu.Rows));
        Assert.That(MaxDifference(gpu.ToDense().Values, cpu.ToDense().Values), Is.LessThan(1e-4));
    }

    [Test]
    public void OnCudaAResumedRunEqualsAnUninterruptedOne()
    {
        if (!ComputeDevice.HasCuda) Assert.Ignore("No CUDA in this build or on this machine (the CPU-only TorchSharp backend): skipped, not failed.");
        var checkpoint = Path.Combine(Samples.TempFolder(), "checkpoint.safetensors");
        var config = Short("topk") with { Epochs = 2 };
        var options = new SaeTrainerOptions { Device = torch.CUDA, CheckpointPath = checkpoint, CheckpointEvery = 3 };
        var uninterrupted = new SaeTrainer(config, options with { CheckpointPath = null, CheckpointEvery = 0 }).Train(hidden);
        using var cancel = new CancellationTokenSource();
        var stop = new ProgressCallback<SaeTrainingProgress>(p => { if (p.Step == 7) cancel.Cancel(); });
        Assert.Throws<OperationCanceledException>(() => new SaeTrainer(config, options).Train(hidden, stop, cancel.Token));
        var resumed = new SaeTrainer(config, options with { Resume = true }).Train(hidden);
        Assert.That(resumed.ResumedFromStep, Is.EqualTo(7));
        Assert.That(MaxDifference(resumed.Dictionary.WDec, uninterrupted.Dictionary.WDec), Is.LessThan(1e-5));
    }

    private static double MaxDifference(float[] a, float[] b) => a.Zip(b, (x, y) => Math.Abs((double)x - y)).Max();
}
