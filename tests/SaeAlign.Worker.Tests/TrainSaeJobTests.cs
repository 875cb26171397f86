using Hangfire;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SaeAlign.Core;
using SaeAlign.Data;
using SaeAlign.Sae;

namespace SaeAlign.Worker.Tests;

/// <summary>The <c>train-sae</c> job type: its spec, and runs on the in-memory store.</summary>
public class TrainSaeJobTests
{
    private const string Small = "\"activations\":\"acts.npy\",\"arch\":\"topk\",\"dSae\":32,\"k\":4,\"batch\":64";

    private static IReadOnlyList<JobPlan> Read(TempFolder data, string json) => InMemoryWorker.Read(data, json);

    private static TempFolder WithActivations(int rows = 512)
    {
        var data = new TempFolder();
        Activations.WriteNpy(data, "acts.npy", rows, 8);
        return data;
    }

    private static string Error(string json)
    {
        using var data = WithActivations();
        return Assert.Throws<InvalidInputException>(() => Read(data, json))!.Message;
    }

    private static Task<IReadOnlyList<JobStatus>> Run(TempFolder data, string spec) => InMemoryWorker.RunAsync(data, spec, concurrency: 1);

    [Test]
    public void DefaultsAreFilledInSoThatEqualJobsShareAnOutput()
    {
        using var data = WithActivations();
        var plan = Read(data, $"{{\"type\":\"train-sae\",{Small}}}").Single();
        Assert.That(plan.Output, Is.EqualTo($"{TrainSaeJob.DefaultOut}/{plan.ConfigHash}"));
        Assert.That(plan.Spec["lr"]!.GetValue<double>(), Is.EqualTo(2e-4));
        Assert.That(plan.Spec["epochs"]!.GetValue<int>(), Is.EqualTo(1));
        Assert.That(plan.Spec["decode"]!.GetValue<string>(), Is.EqualTo("sparse"));
        Assert.That(plan.Spec["bDecInit"]!.GetValue<string>(), Is.EqualTo("geometric-median"));
        Assert.That(plan.Spec["checkpointEvery"]!.GetValue<int>(), Is.EqualTo(TrainSaeJob.DefaultCheckpointEvery));

        var explicitDefaults = Read(data, $"{{\"type\":\"train-sae\",{Small},\"lr\":0.0002,\"seed\":0,\"shuffle\":true,\"out\":\"elsewhere\"}}").Single();
        Assert.That(explicitDefaults.ConfigHash, Is.EqualTo(plan.ConfigHash), "defaults written out and out do not change the job");
        Assert.That(Read(data, $"{{\"type\":\"train-sae\",{Small},\"seed\":1}}").Single().ConfigHash, Is.Not.EqualTo(plan.ConfigHash));
    }

    [Test]
    public void APaperToySpecTakesThatArchitecturesDefaults()
    {
        using var data = WithActivations();
        var plan = Read(data, "{\"type\":\"train-sae\",\"activations\":\"acts.npy\",\"arch\":\"paper-toy\"}").Single();
        Assert.That(plan.Spec["dSae"]!.GetValue<int>(), Is.EqualTo(64));
        Assert.That(plan.Spec["k"]!.GetValue<int>(), Is.EqualTo(7));
        Assert.That(plan.Spec["trainFraction"]!.GetValue<double>(), Is.EqualTo(0.8));
        Assert.That(plan.Spec["shuffle"]!.GetValue<bool>(), Is.False);
    }

    [Test]
    public void AMatryoshkaSpecKeepsItsGroupsAndRefusesAnotherArchitecturesSetting()
    {
        using var data = WithActivations();
        var plan = Read(data, "{\"type\":\"train-sae\",\"activations\":\"acts.npy\",\"arch\":\"matryoshka-batchtopk\",\"dSae\":32,\"groups\":[4,16]}").Single();
        Assert.That(plan.Spec["architecture"]!.GetValue<string>(), Is.EqualTo("matryoshka-batchtopk"));
        Assert.That(plan.Spec["groups"]!.AsArray().Select(g => g!.GetValue<int>()), Is.EqualTo(new[] { 4, 16 }));
        Assert.That(plan.Spec["thresholdEma"]!.GetValue<double>(), Is.EqualTo(0.01));
        Assert.That(Error("{\"type\":\"train-sae\",\"activations\":\"acts.npy\",\"arch\":\"topk\",\"groups\":[4]}"),
            Does.Contain("groups is a setting of matryoshka-batchtopk; a topk SAE has no such setting."));
    }

    [Test]
    public void ASweepOverKAndSeedsIsOneJobPerCombination()
    {
        using var data = WithActivations();
        var plans = Read(data, "{\"type\":\"train-sae\",\"activations\":\"acts.npy\",\"dSae\":32,\"sweep\":{\"k\":[4,7,16],\"seed\":[0,1,2,3,4]}}");
        Assert.That(plans, Has.Count.EqualTo(15));
        Assert.That(plans.Select(p => p.Output).Distinct().Count(), Is.EqualTo(15));
        Assert.That(plans.Select(p => (p.Spec["k"]!.GetValue<int>(), p.Spec["seed"]!.GetValue<long>())).Take(2), Is.EqualTo(new[] { (4, 0L), (4, 1L) }));
    }

    [TestCase("\"activations\":\"acts.npy\",\"k\":0", "k must be at least 1")]
    [TestCase("\"activations\":\"acts.npy\",\"dSae\":16,\"k\":17", "k must be between 1 and d_sae = 16")]
    [TestCase("\"activations\":\"acts.npy\",\"batch\":0", "batch must be at least 1")]
    [TestCase("\"activations\":\"acts.npy\",\"trainFraction\":1.5", "trainFraction must be in (0, 1]")]
    [TestCase("\"activations\":\"acts.npy\",\"lr\":-1", "lr must be a positive number")]
    [TestCase("\"activations\":\"acts.npy\",\"seed\":-3", "seed must be zero or positive")]
    [TestCase("\"activations\":\"acts.npy\",\"auxK\":-1", "auxK must be at least 1")]
    [TestCase("\"activations\":\"acts.npy\",\"checkpointEvery\":-5", "checkpointEvery must be zero or positive")]
    [TestCase("\"activations\":\"acts.npy\",\"arch\":\"mlp\"", "arch:")]
    [TestCase("\"activations\":\"acts.npy\",\"decode\":\"fast\"", "decode:")]
    [TestCase("\"activations\":\"acts.npy\",\"bDecInit\":\"median\"", "bDecInit:")]
    [TestCase("\"activations\":\"acts.npy\",\"epochs\":\"many\"", "epochs:")]
    [TestCase("\"activations\":\"acts.npy\",\"learningRate\":0.1", "learningRate")]
    [TestCase("\"dSae\":64", "activations: missing")]
    [TestCase("\"activations\":\"missing.npy\"", "activations: no file at 'missing.npy'")]
    [TestCase("\"activations\":\"acts.csv\"", "activations: 'acts.csv' must be a .parquet or .npy file")]
    [TestCase("\"activations\":\"../acts.npy\"", "activations: '../acts.npy' contains '..'")]
    [TestCase("\"activations\":\"/etc/hostname.npy\"", "outside the data root")]
    [TestCase("\"activations\":\"acts.npy\",\"trueFeatures\":\"/tmp/w.parquet\"", "trueFeatures:")]
    [TestCase("\"activations\":\"acts.npy\",\"out\":\"/tmp\"", "out:")]
    [TestCase("\"activations\":\"acts.npy\",\"engine\":\"ilgpu\",\"arch\":\"gated\"", "engine ilgpu trains the topk and paper-toy architectures; gated needs the torch engine")]
    [TestCase("\"activations\":\"acts.npy\",\"engine\":\"tpu\"", "engine")]
    public void BadFieldsAreRejectedNamingTheField(string fields, string expected) =>
        Assert.That(Error($"{{\"type\":\"train-sae\",{fields}}}"), Does.StartWith("spec.json: ").And.Contain(expected));

    [Test]
    public void ASweepWithOneBadValueQueuesNothingAndNamesTheCombination() =>
        Assert.That(Error($"{{\"type\":\"train-sae\",{Small},\"sweep\":{{\"seed\":[0,-1]}}}}"),
            Does.StartWith("spec.json (sweep seed=-1): seed must be zero or positive"));

    [Test]
    public void TheTorchEngineIsTheSpecWithoutOneAndTheIlgpuEngineAnotherJob()
    {
        using var data = WithActivations();
        var plain = Read(data, $"{{\"type\":\"train-sae\",{Small}}}").Single();
        var torch = Read(data, $"{{\"type\":\"train-sae\",{Small},\"engine\":\"torch\"}}").Single();
        var ilgpu = Read(data, $"{{\"type\":\"train-sae\",{Small},\"engine\":\"ilgpu\"}}").Single();
        Assert.That(torch.Output, Is.EqualTo(plain.Output), "specs from before engines keep their folder");
        Assert.That(plain.Spec.ContainsKey("engine"), Is.False);
        Assert.That(ilgpu.Output, Is.Not.EqualTo(plain.Output));
        Assert.That(ilgpu.Spec["engine"]!.GetValue<string>(), Is.EqualTo("ilgpu"));
    }

    [Test]
    public async Task AnIlgpuJobWritesTheRunFolderOfSaeTrain()
    {
        using var data = WithActivations();
        var status = (await Run(data, $"{{\"type\":\"train-sae\",{Small},\"engine\":\"ilgpu\",\"device\":\"cpu\",\"out\":\"sae\"}}")).Single();
        Assert.That(status.State, Is.EqualTo("Succeeded"), status.Error);
        string folder = Directory.GetDirectories(Path.Combine(data.Path, "sae")).Single();
        Assert.That(RunFolder.Read(folder).Files.Keys, Does.Contain(SaeTrainingRun.DictionaryFile).And.Contain("saelens/cfg.json"));
        Assert.That(SaeDictionary.ReadParquet(Path.Combine(folder, SaeTrainingRun.DictionaryFile)).DSae, Is.EqualTo(32));
    }

    [Test]
    public async Task AJobWritesTheRunFolderOfSaeTrainAndRemovesItsCheckpoint()
    {
        using var data = WithActivations();
        var status = (await Run(data, $"{{\"type\":\"train-sae\",{Small},\"epochs\":2,\"checkpointEvery\":3,\"out\":\"sae\"}}")).Single();
        Assert.That(status.State, Is.EqualTo("Succeeded"), status.Error);
        string folder = Directory.GetDirectories(Path.Combine(data.Path, "sae")).Single();
        var manifest = RunFolder.Read(folder);
        Assert.That(manifest.Manifest.Kind, Is.EqualTo(SaeTrainingRun.Kind));
        Assert.That(manifest.Files.Keys, Does.Contain(SaeTrainingRun.DictionaryFile).And.Contain("saelens/cfg.json"));
        var dictionary = SaeDictionary.ReadParquet(Path.Combine(folder, SaeTrainingRun.DictionaryFile));
        Assert.That((dictionary.DIn, dictionary.DSae), Is.EqualTo((8, 32)));
        Assert.That(File.ReadAllText(Path.Combine(folder, JobExecutor.LogFileName)), Does.Contain("step 16/16"));
        Assert.That(File.Exists(SaeTrainingRun.CheckpointPathFor(folder)), Is.False, "the checkpoint goes once the folder is complete");
    }

    [Test]
    public async Task AStoppedWorkerCheckpointsAndTheNextAttemptResumesToTheSameDictionary()
    {
        using var data = WithActivations(rows: 2048);
        // No periodic checkpoint: the one found later can only come from the stop.
        string spec = $"{{\"type\":\"train-sae\",\"activations\":\"acts.npy\",\"dSae\":32,\"k\":4,\"batch\":16,\"epochs\":40,\"checkpointEvery\":1000000,\"out\":\"stopped\"}}";
        var plan = Read(data, spec).Single();
        string checkpoint = SaeTrainingRun.CheckpointPathFor(Path.Combine(data.Path, plan.Output));
        using (var host = InMemoryWorker.Build(data, concurrency: 1))
        {
            new JobQueue(host.Services.GetRequiredService<JobStorage>()).Enqueue([plan]);
            await host.StartAsync();
            string log = Path.Combine(data.Path, plan.Output + ".log");
            var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
            while (!(File.Exists(log) && System.Text.RegularExpressions.Regex.Count(TempFolder.ReadShared(log), "step \\d+/5120") >= 2) && DateTime.UtcNow < deadline)
                await Task.Delay(50);
            await host.StopAsync();
        }
        Assert.That(File.Exists(checkpoint), Is.True, "stopping the worker wrote a checkpoint");
        Assert.That(Directory.Exists(Path.Combine(data.Path, plan.Output)), Is.False);

        var statuses = await Run(data, $"[{spec}, {spec.Replace("\"stopped\"", "\"reference\"", StringComparison.Ordinal)}]");
        Assert.That(statuses.Select(s => s.State), Is.All.EqualTo("Succeeded"));
        string resumed = Path.Combine(data.Path, plan.Output);
        string log2 = File.ReadAllText(Path.Combine(resumed, JobExecutor.LogFileName));
        var step = System.Text.RegularExpressions.Regex.Match(log2, "Resumed from the checkpoint at step (\\d+)");
        Assert.That(step.Success, Is.True, log2);
        Assert.That(int.Parse(step.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), Is.InRange(1, 5119));
        string reference = Path.Combine(data.Path, "reference", plan.ConfigHash);
        Assert.That(File.ReadAllBytes(Path.Combine(resumed, SaeTrainingRun.DictionaryFile)),
            Is.EqualTo(File.ReadAllBytes(Path.Combine(reference, SaeTrainingRun.DictionaryFile))), "bit for bit the dictionary of an uninterrupted run");
        Assert.That(RunFolder.Read(resumed).Files, Is.EqualTo(RunFolder.Read(reference).Files));
    }
}
