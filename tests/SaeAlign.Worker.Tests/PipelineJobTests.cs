using System.Text.Json;
using System.Text.RegularExpressions;
using Hangfire;
using Microsoft.Extensions.DependencyInjection;
using SaeAlign.Core;
using SaeAlign.Data;
using SaeAlign.Pipelines;
using SaeAlign.Sae;
using SaeAlign.ToyModels;

namespace SaeAlign.Worker.Tests;

/// <summary>The <c>pipeline</c> job type: a whole experiment as one resumable job.</summary>
public class PipelineJobTests
{
    /// <summary>A two-seed experiment at toy scale; more SAE epochs make it long enough to be stopped in the middle.</summary>
    private static string Tiny(int epochs = 1) => JsonSerializer.Serialize(new PipelineSpec
    {
        Toy = new ToyModelConfig { Features = 16, Neurons = 4, Steps = 100, Batch = 256, EvalRows = 100 },
        Neurons = [4],
        Seeds = [0, 1],
        Stimuli = 3000,
        Sae = SaeConfig.For(SaeArchitecture.PaperToy) with { DSae = 16, K = 3, Batch = 128, Epochs = epochs },
        Metrics = ["semi", "cka"],
        Cv = "kfold:3:1",
    }, SaeConfig.CompactJson);

    private static string Error(string json)
    {
        using var data = new TempFolder();
        data.Write("exp.json", Tiny());
        return Assert.Throws<InvalidInputException>(() => InMemoryWorker.Read(data, json))!.Message;
    }

    [Test]
    public void ASpecFileAndTheSameExperimentInlineAreTheSameJob()
    {
        using var data = new TempFolder();
        data.Write("experiments/exp.json", Tiny());
        var fromFile = InMemoryWorker.Read(data, "{\"type\":\"pipeline\",\"spec\":\"experiments/exp.json\"}").Single();
        var inline = InMemoryWorker.Read(data, $"{{\"type\":\"pipeline\",\"experiment\":{Tiny()},\"title\":\"exp\"}}").Single();
        Assert.That(inline.ConfigHash, Is.EqualTo(fromFile.ConfigHash));
        Assert.That(fromFile.Spec.ContainsKey("spec"), Is.False, "the experiment is kept inline, fixed at enqueue");
        Assert.That(fromFile.Spec["experiment"]!["toy"]!["steps"]!.GetValue<int>(), Is.EqualTo(100));

        var scaled = InMemoryWorker.Read(data, "{\"type\":\"pipeline\",\"spec\":\"experiments/exp.json\",\"scale\":0.5,\"neurons\":[2,3]}").Single();
        Assert.That(scaled.Spec["experiment"]!["toy"]!["steps"]!.GetValue<int>(), Is.EqualTo(50));
        Assert.That(scaled.Spec["experiment"]!["stimuli"]!.GetValue<long>(), Is.EqualTo(1500));
        Assert.That(scaled.Spec["experiment"]!["neurons"]!.AsArray().Select(n => n!.GetValue<int>()), Is.EqualTo(new[] { 2, 3 }));
        var preset = InMemoryWorker.Read(data, "{\"type\":\"pipeline\",\"preset\":\"paper-toy\",\"scale\":0.01}").Single();
        Assert.That(preset.Spec["title"]!.GetValue<string>(), Is.EqualTo("paper-toy"));
    }

    [TestCase("{\"type\":\"pipeline\"}", "give exactly one")]
    [TestCase("{\"type\":\"pipeline\",\"spec\":\"exp.json\",\"preset\":\"paper-toy\"}", "give exactly one")]
    [TestCase("{\"type\":\"pipeline\",\"preset\":\"paper-huge\"}", "preset: unknown experiment 'paper-huge'")]
    [TestCase("{\"type\":\"pipeline\",\"spec\":\"missing.json\"}", "spec: no file at 'missing.json'")]
    [TestCase("{\"type\":\"pipeline\",\"spec\":\"../exp.json\"}", "spec: '../exp.json' contains '..'")]
    [TestCase("{\"type\":\"pipeline\",\"spec\":\"/etc/x.json\"}", "outside the data root")]
    [TestCase("{\"type\":\"pipeline\",\"spec\":\"exp.json\",\"scale\":0}", "scale must be in (0, 1]")]
    [TestCase("{\"type\":\"pipeline\",\"spec\":\"exp.json\",\"scale\":2}", "scale must be in (0, 1]")]
    [TestCase("{\"type\":\"pipeline\",\"spec\":\"exp.json\",\"neurons\":[0]}", "neurons must list widths of at least 1")]
    [TestCase("{\"type\":\"pipeline\",\"spec\":\"exp.json\",\"seeds\":[0,1]}", "seeds")]
    [TestCase("{\"type\":\"pipeline\",\"experiment\":{\"seeds\":[0]}}", "experiment: seeds must list at least two")]
    [TestCase("{\"type\":\"pipeline\",\"experiment\":{\"colour\":1}}", "experiment:")]
    [TestCase("{\"type\":\"pipeline\",\"spec\":\"exp.json\",\"out\":\"../x\"}", "out: '../x' contains '..'")]
    public void BadFieldsAreRejectedNamingTheField(string json, string expected) =>
        Assert.That(Error(json), Does.StartWith("spec.json: ").And.Contain(expected));

    [Test]
    public async Task APipelineJobWritesTheExperimentAsOneRunFolder()
    {
        using var data = new TempFolder();
        data.Write("exp.json", Tiny());
        var status = (await InMemoryWorker.RunAsync(data, "{\"type\":\"pipeline\",\"spec\":\"exp.json\",\"out\":\"pipe\"}")).Single();
        Assert.That(status.State, Is.EqualTo("Succeeded"), status.Error);
        string folder = Directory.GetDirectories(Path.Combine(data.Path, "pipe")).Single();
        var manifest = RunFolder.Read(folder);
        Assert.That(manifest.Manifest.Kind, Is.EqualTo(PipelineJob.Kind));
        Assert.That(RunFolder.FilesIntact(folder, manifest), Is.True);
        Assert.That(manifest.Files.Keys, Does.Contain($"{DisentanglementPipeline.ReportFolder}/summary.md").And.Contain("m4/toy/manifest.json"));
        Assert.That(File.ReadAllText(Path.Combine(folder, JobExecutor.LogFileName)), Does.Contain("Stages run: m4/toy, m4/sae-seed0, m4/sae-seed1, m4/alignment"));
        Assert.That(Directory.Exists(PipelineJob.WorkFolderFor(folder)), Is.False, "the work folder became the run folder");
    }

    [Test]
    public async Task AStoppedPipelineJobReusesItsFinishedStagesOnTheNextAttempt()
    {
        using var data = new TempFolder();
        data.Write("exp.json", Tiny(epochs: 400));
        string spec = "{\"type\":\"pipeline\",\"spec\":\"exp.json\",\"out\":\"pipe\"}";
        var plan = InMemoryWorker.Read(data, spec).Single();
        using (var host = InMemoryWorker.Build(data, concurrency: 1))
        {
            new JobQueue(host.Services.GetRequiredService<JobStorage>()).Enqueue([plan]);
            await host.StartAsync();
            string log = Path.Combine(data.Path, plan.Output + ".log");
            var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
            while (!(File.Exists(log) && TempFolder.ReadShared(log).Contains("m4: toy training: done", StringComparison.Ordinal)) && DateTime.UtcNow < deadline)
                await Task.Delay(50);
            await host.StopAsync();
        }
        Assert.That(Directory.Exists(Path.Combine(data.Path, plan.Output)), Is.False, "stopped before the end");

        var status = (await InMemoryWorker.RunAsync(data, spec)).Single();
        Assert.That(status.State, Is.EqualTo("Succeeded"), status.Error);
        string jobLog = File.ReadAllText(Path.Combine(data.Path, plan.Output, JobExecutor.LogFileName));
        Assert.That(jobLog, Does.Contain("from an earlier attempt; finished stages are reused").And.Contain("m4: toy training: reused"));
        var stagesRun = Regex.Matches(jobLog, "Stages run: (.*)").Last().Groups[1].Value;
        Assert.That(stagesRun, Does.Not.Contain("m4/toy").And.Contain("m4/alignment"));
    }
}
