using System.Text.Json;
using Hangfire;
using Microsoft.Extensions.DependencyInjection;
using SaeAlign.Core;
using SaeAlign.Data;
using SaeAlign.Pipelines;
using SaeAlign.Sae;
using SaeAlign.ToyModels;

namespace SaeAlign.Worker.Tests;

/// <summary>The <c>pipeline</c> job type: a whole experiment as a chain of resumable stage jobs.</summary>
public class PipelineJobTests
{
    /// <summary>A two-seed experiment at toy scale; more SAE epochs make its SAE stages long enough to be stopped in the middle.</summary>
    internal static string Tiny(int epochs = 1) => JsonSerializer.Serialize(new PipelineSpec
    {
        Toy = new ToyModelConfig { Features = 16, Neurons = 4, Steps = 100, Batch = 256, EvalRows = 100 },
        Neurons = [4],
        Seeds = [0, 1],
        Stimuli = 3000,
        Sae = new PaperToySaeConfig { DSae = 16, K = 3, Batch = 128, Epochs = epochs },
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
    [TestCase("{\"type\":\"pipeline-stage\",\"stage\":\"report\"}", "type: 'pipeline-stage' is queued by SaeAlign itself")]
    public void BadFieldsAreRejectedNamingTheField(string json, string expected) =>
        Assert.That(Error(json), Does.StartWith("spec.json: ").And.Contain(expected));

    [Test]
    public void APipelineIsQueuedAsAChainOfItsStagesEachAContinuationOfTheOneBefore()
    {
        using var data = new TempFolder();
        data.Write("exp.json", Tiny());
        var plan = InMemoryWorker.Read(data, "{\"type\":\"pipeline\",\"spec\":\"exp.json\",\"neurons\":[3,4],\"out\":\"pipe\"}").Single();
        using var host = InMemoryWorker.Build(data);
        var queue = new JobQueue(host.Services.GetRequiredService<JobStorage>());

        var jobs = queue.Enqueue([plan]);

        Assert.That(jobs.Select(j => j.Stage), Is.EqualTo(new[]
        {
            "m3/toy", "m3/sae-seed0", "m3/sae-seed1", "m3/alignment", "m4/toy", "m4/sae-seed0", "m4/sae-seed1", "m4/alignment", "report",
        }));
        Assert.That(jobs.Select(j => (j.Type, j.Output, j.ConfigHash)), Is.All.EqualTo((PipelineStageJob.TypeName, plan.Output, plan.ConfigHash)));
        var statuses = jobs.Select(j => queue.Status(j.Id)!).ToArray();
        Assert.That(statuses[0].State, Is.EqualTo("Enqueued"));
        Assert.That(statuses.Skip(1).Select(s => s.State), Is.All.EqualTo("Awaiting"));
        Assert.That(statuses.Skip(1).Select(s => s.Parent), Is.EqualTo(jobs.SkipLast(1).Select(j => j.Id)), "each waits for the one before");
        Assert.That(statuses[^1].Title, Is.EqualTo($"pipeline-stage report {plan.Output}"));
        Assert.That(statuses.Select(queue.IsSettled), Is.All.False);
        var listed = queue.List();
        Assert.That(listed.Where(j => j.State == "Awaiting").Select(j => j.Id), Is.EquivalentTo(jobs.Skip(1).Select(j => j.Id)));
    }

    [Test]
    public async Task AChainWritesTheSameFilesAsTheWholePipelineInOneProcess()
    {
        using var data = new TempFolder();
        data.Write("exp.json", Tiny());
        var statuses = await InMemoryWorker.RunAsync(data, "{\"type\":\"pipeline\",\"spec\":\"exp.json\",\"out\":\"pipe\"}");
        Assert.That(statuses.Select(s => s.State), Is.EqualTo(Enumerable.Repeat("Succeeded", 5)), string.Join("; ", statuses.Select(s => s.Error)));

        string folder = Directory.GetDirectories(Path.Combine(data.Path, "pipe")).Single();
        var manifest = RunFolder.Read(folder);
        Assert.That(manifest.Manifest.Kind, Is.EqualTo(PipelineJob.Kind));
        Assert.That(RunFolder.FilesIntact(folder, manifest), Is.True);
        Assert.That(Directory.Exists(PipelineJob.WorkFolderFor(folder)), Is.False, "the work folder became the run folder");
        foreach (string stage in new[] { "m4/toy", "m4/sae-seed0", "m4/sae-seed1", "m4/alignment", "report" })
            Assert.That(File.ReadAllText(Path.Combine(folder, JobExecutor.StageLogFolder, stage + ".log")), Does.Contain(" started on ").And.Contain(" done: "), stage);
        Assert.That(Directory.GetFileSystemEntries(Path.Combine(data.Path, "pipe")).Select(Path.GetFileName),
            Is.EquivalentTo(new[] { Path.GetFileName(folder), Path.GetFileName(folder) + ".lock" }), "the stage logs moved into the run folder");

        // The same experiment in one process: every file but the timings (and the chain's logs) bit for bit the same.
        string oneProcess = Path.Combine(data.Path, "one-process");
        new DisentanglementPipeline(PipelineSpec.Parse(Tiny(), "exp.json"), "exp").Run(oneProcess);
        var expected = Directory.EnumerateFiles(oneProcess, "*", SearchOption.AllDirectories)
            .Where(f => Path.GetFileName(f) != RunFolder.TimingsFileName)
            .ToDictionary(f => Path.GetRelativePath(oneProcess, f), Sha256);
        var chained = manifest.Files.Where(f => Path.GetFileName(f.Key) != RunFolder.TimingsFileName).ToDictionary();
        Assert.That(chained, Is.EquivalentTo(expected));
        Assert.That(chained, Does.ContainKey($"{DisentanglementPipeline.ReportFolder}/scores.parquet"));
    }

    [Test]
    public async Task AFailedStageStopsItsChainAndTheNextChainReusesTheFinishedStages()
    {
        using var data = new TempFolder();
        data.Write("exp.json", Tiny());
        string spec = "{\"type\":\"pipeline\",\"spec\":\"exp.json\",\"out\":\"pipe\"}";
        var plan = InMemoryWorker.Read(data, spec).Single();
        // A file where the alignment's folder goes: that stage fails as bad input, at once and for good.
        string blocker = data.Write(PipelineJob.WorkFolderFor(plan.Output) + "/m4/alignment", "in the way");

        var failed = await InMemoryWorker.RunAsync(data, spec);
        Assert.That(failed.Select(s => s.State), Is.EqualTo(new[] { "Succeeded", "Succeeded", "Succeeded", "Failed", "Awaiting" }),
            "the drain stops at a chain that cannot go on");
        Assert.That(failed[3].Error, Does.Contain("is a file"));
        Assert.That(failed[4].Reason, Is.EqualTo($"waits for job {failed[3].Id}"));

        File.Delete(blocker);
        var statuses = await InMemoryWorker.RunAsync(data, spec);
        Assert.That(statuses.Select(s => s.State), Is.All.EqualTo("Succeeded"));
        string logs = Path.Combine(data.Path, plan.Output, JobExecutor.StageLogFolder);
        string toy = File.ReadAllText(Path.Combine(logs, "m4", "toy.log"));
        Assert.That(Count(toy, " started on "), Is.EqualTo(2), "both chains' attempts are in the stage's log");
        Assert.That(toy, Does.Contain("m4: toy training: done").And.Contain("m4: toy training: reused"));
        string sae = File.ReadAllText(Path.Combine(logs, "m4", "sae-seed1.log"));
        Assert.That(sae, Does.Contain("m4: SAE seed 1: reused"));
        Assert.That(Count(sae, "m4: activations: done"), Is.EqualTo(1), "a reused stage replays nothing");
        Assert.That(File.ReadAllText(Path.Combine(logs, "m4", "alignment.log")), Does.Contain("is a file").And.Contain("m4: alignment: done"));
    }

    [Test]
    public void CancellingAJobOfAChainCancelsTheJobsAfterIt()
    {
        using var data = new TempFolder();
        data.Write("exp.json", Tiny());
        var plan = InMemoryWorker.Read(data, "{\"type\":\"pipeline\",\"spec\":\"exp.json\"}").Single();
        using var host = InMemoryWorker.Build(data);
        var queue = new JobQueue(host.Services.GetRequiredService<JobStorage>());
        string[] States(IEnumerable<QueuedJob> jobs) => jobs.Select(j => queue.Status(j.Id)!.State).ToArray();

        var head = queue.Enqueue([plan]);
        Assert.That(queue.Cancel(head[0].Id), Is.True);
        Assert.That(States(head), Is.All.EqualTo("Deleted"));

        var middle = queue.Enqueue([plan]);
        Assert.That(queue.Cancel(middle[2].Id), Is.True);
        Assert.That(States(middle), Is.EqualTo(new[] { "Enqueued", "Awaiting", "Deleted", "Deleted", "Deleted" }));
    }

    [Test]
    public async Task AStageStoppedWithItsWorkerLeavesNoHalfWrittenFolder()
    {
        using var data = new TempFolder();
        // Long enough (about two minutes uncancelled) that the stop always lands while the SAE trains, on a loaded machine
        // too: 400 epochs took 2.7 s under CI load and sometimes finished before the stop arrived.
        data.Write("exp.json", Tiny(epochs: 20_000));
        var plan = InMemoryWorker.Read(data, "{\"type\":\"pipeline\",\"spec\":\"exp.json\",\"out\":\"pipe\"}").Single();
        string log = Path.Combine(data.Path, plan.Output + "." + JobExecutor.StageLogFolder, "m4", "sae-seed0.log");
        using (var host = InMemoryWorker.Build(data, concurrency: 1))
        {
            new JobQueue(host.Services.GetRequiredService<JobStorage>()).Enqueue([plan]);
            await host.StartAsync();
            var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
            while (!(File.Exists(log) && TempFolder.ReadShared(log).Contains("m4: activations: done", StringComparison.Ordinal)) && DateTime.UtcNow < deadline)
                await Task.Delay(50);
            await host.StopAsync();
        }
        Assert.That(File.ReadAllText(log), Does.Contain("the worker is shutting down or the job was cancelled"), "stopped while training");
        Assert.That(Directory.Exists(Path.Combine(data.Path, plan.Output)), Is.False);
        string work = Path.Combine(data.Path, PipelineJob.WorkFolderFor(plan.Output));
        Assert.That(Directory.GetDirectories(work, "*", SearchOption.AllDirectories).Select(Path.GetFileName), Is.EquivalentTo(new[] { "m4", "toy" }),
            "only the finished toy stage, for the next chain to reuse");
    }

    private static int Count(string text, string part) => (text.Length - text.Replace(part, "", StringComparison.Ordinal).Length) / part.Length;

    private static string Sha256(string file) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(file)));
}
