using System.Text.Json.Nodes;
using SaeAlign.Core;
using SaeAlign.Data;
using SaeAlign.Torch;

namespace SaeAlign.Worker.Tests;

/// <summary>A spec's <c>device</c> field and a worker's <c>--device</c>: where a job runs, never what it computes.</summary>
public class JobDeviceTests
{
    private const string Tiny = "\"features\":6,\"neurons\":2,\"steps\":20,\"evalRows\":50";

    private static IReadOnlyList<JobPlan> Read(TempFolder temp, string json) =>
        new JobSpecReader(JobTypes.All(), new DataRoot(temp.Path)).Read(json, "spec.json");

    [Test]
    public void TheDeviceIsKeptBesideTheSpecAndOutOfItsHash()
    {
        using var temp = new TempFolder();
        var plain = Read(temp, $"{{\"type\":\"train-toy\",{Tiny},\"seeds\":[0]}}").Single();
        var onCpu = Read(temp, $"{{\"type\":\"train-toy\",{Tiny},\"seeds\":[0],\"device\":\"CPU\"}}").Single();
        Assert.That(onCpu.Output, Is.EqualTo(plain.Output), "the same job on another device reuses its run folder");
        Assert.That((plain.Device, onCpu.Device), Is.EqualTo(((string?)null, "cpu")));
        Assert.That(onCpu.Spec.ContainsKey("device"), Is.False);
        Assert.That(JobDevice.With(onCpu.Spec, onCpu.Device)["device"]!.GetValue<string>(), Is.EqualTo("cpu"));
    }

    [TestCase("\"gpu\"")]
    [TestCase("0")]
    [TestCase("null")]
    public void ADeviceOfNoKnownSpellingIsRefusedNamingTheField(string value)
    {
        using var temp = new TempFolder();
        var error = Assert.Throws<InvalidInputException>(() => Read(temp, $"{{\"type\":\"train-toy\",{Tiny},\"seeds\":[0],\"device\":{value}}}"))!;
        Assert.That(error.Message, Does.StartWith("spec.json: device must be cpu, cuda, cuda:N or auto").And.Contain(value));
    }

    [TestCase(null, "cuda:1", "cuda:1")]
    [TestCase("auto", "cuda:1", "cuda:1")]
    [TestCase("cuda", "cuda:1", "cuda:1")]
    [TestCase("cuda", "auto", "cuda")]
    [TestCase("cpu", "cuda:1", "cpu")]
    [TestCase("cuda:0", "cuda:1", "cuda:0")]
    [TestCase(null, "auto", "auto")]
    public void AWorkerPinnedToAGpuKeepsJobsThatNameNoParticularOne(string? job, string worker, string expected) =>
        Assert.That(JobDevice.Effective(job, worker), Is.EqualTo(expected));

    [Test]
    public void AWorkerDeviceOfNoKnownSpellingNamesTheOption() =>
        Assert.That(Assert.Throws<InvalidInputException>(() => WorkerHost.Build(new Dictionary<string, string?> { ["Worker:Device"] = "tpu" }))!.Message,
            Does.StartWith("--device must be cpu, cuda, cuda:N or auto"));

    [Test]
    public async Task AJobOnTheCpuWritesTheDefaultJobsFolderAndOneOnAMissingGpuFailsWithoutRetries()
    {
        using var data = new TempFolder();
        var onCpu = (await InMemoryWorker.RunAsync(data, $"{{\"type\":\"train-toy\",{Tiny},\"seeds\":[0],\"out\":\"runs\",\"device\":\"cpu\"}}")).Single();
        Assert.That(onCpu.State, Is.EqualTo("Succeeded"));
        string folder = Directory.GetDirectories(Path.Combine(data.Path, "runs")).Single();
        Assert.That(File.ReadAllText(Path.Combine(folder, JobExecutor.LogFileName)), Does.Contain("device cpu"));
        Assert.That(onCpu.Spec?["device"]?.GetValue<string>(), Is.EqualTo("cpu"), "the queued job carries its device");
        if (ComputeDevice.HasCuda) return;

        var onGpu = (await InMemoryWorker.RunAsync(data, $"{{\"type\":\"train-toy\",{Tiny},\"seeds\":[1],\"out\":\"runs\",\"device\":\"cuda\"}}")).Single();
        Assert.That(onGpu.State, Is.EqualTo("Failed"));
        Assert.That(onGpu.Error, Does.Contain("device is cuda, but this build's libtorch has no CUDA"));
        Assert.That(onGpu.History.Count(h => h.State == "Failed"), Is.EqualTo(1), "bad input is not retried");
        Assert.That(Directory.GetDirectories(Path.Combine(data.Path, "runs")), Has.Length.EqualTo(1), "nothing written for it");
    }
}
