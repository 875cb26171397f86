using SaeAlign.Core;
using TorchSharp;

namespace SaeAlign.Torch.Tests;

public class ComputeDeviceTests
{
    [OneTimeSetUp]
    public void LoadTorch() => TorchRuntime.Configure(threads: 1);

    [TestCase("cpu")]
    [TestCase(" CPU ")]
    public void CpuIsTheCpu(string spec) => Assert.That(ComputeDevice.Resolve(spec).type, Is.EqualTo(DeviceType.CPU));

    [Test]
    public void AutoIsCudaExactlyWhenThisBuildAndMachineHaveIt()
    {
        var expected = ComputeDevice.HasCuda ? DeviceType.CUDA : DeviceType.CPU;
        Assert.That(ComputeDevice.Resolve("auto").type, Is.EqualTo(expected));
        Assert.That(ComputeDevice.Resolve(null).type, Is.EqualTo(expected), "no device given means auto");
    }

    [TestCase("gpu")]
    [TestCase("cuda:")]
    [TestCase("cuda:-1")]
    [TestCase("cuda:x")]
    [TestCase("")]
    public void AnUnknownSpellingIsBadInputNamingTheField(string spec)
    {
        var error = Assert.Throws<InvalidInputException>(() => ComputeDevice.Resolve(spec, InputField.Named("device")))!;
        Assert.That(error.Input.Field, Is.EqualTo(InputField.Named("device")));
        Assert.That(error.Message, Does.Contain("cpu, cuda, cuda:N or auto").And.Contain($"'{spec}'"));
        Assert.That(ComputeDevice.IsSpelling(spec), Is.False);
    }

    [TestCase("cuda")]
    [TestCase("cuda:0")]
    [TestCase("cuda:3")]
    public void ACudaDeviceThisMachineLacksIsBadInputNotASilentFallback(string spec)
    {
        if (ComputeDevice.HasCuda && spec != "cuda:3") Assert.Ignore("This machine has CUDA: the device resolves.");
        Assert.That(ComputeDevice.IsSpelling(spec), Is.True);
        var error = Assert.Throws<InvalidInputException>(() => ComputeDevice.Resolve(spec))!;
        Assert.That(error.Input.Field, Is.EqualTo(InputField.Named("device")));
        Assert.That(error.Message, Does.StartWith($"device is {spec}, but this"));
    }

    [Test]
    public void CudaResolvesToAGpuWhereThereIsOne()
    {
        if (!ComputeDevice.HasCuda) Assert.Ignore("No CUDA in this build or on this machine (the CPU-only TorchSharp backend); the GPU tests run where it is.");
        var device = ComputeDevice.Resolve("cuda:0");
        Assert.That((device.type, device.index), Is.EqualTo((DeviceType.CUDA, 0)));
    }
}
