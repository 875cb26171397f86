using SaeAlign.Data;
using SaeAlign.Sae;
using SaeAlign.Tool;

namespace SaeAlign.Worker.Tests;

/// <summary>
/// Fault and load tests against a real PostgreSQL and real worker processes. Skipped, visibly, where no
/// server can be started; with SAEALIGN_REQUIRE_POSTGRES=1 (CI) that is a failure instead.
/// </summary>
[NonParallelizable]
public class PostgresWorkerTests
{
    private const string Tiny = "\"features\":6,\"neurons\":2,\"steps\":20,\"evalRows\":50";
    // Long enough (a few seconds on one thread) to be interrupted in the middle.
    private const string Slow = "\"features\":64,\"neurons\":8,\"steps\":4000,\"evalRows\":50,\"seeds\":[0]";
    private const string TinySae = "\"activations\":\"acts.npy\",\"dSae\":16,\"k\":2,\"batch\":64";
    // About 5000 steps (several seconds on one thread), checkpointing every 200.
    private const string SlowSae = "\"activations\":\"acts.npy\",\"dSae\":32,\"k\":4,\"batch\":16,\"epochs\":40,\"checkpointEvery\":200";
    private static readonly TimeSpan ShortInvisibility = TimeSpan.FromSeconds(4);
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(2);

    private PostgresServer server = null!;
    private TempFolder data = null!;
    private string schema = null!;
    private readonly List<WorkerProcess> workers = [];

    [OneTimeSetUp]
    public void StartServer()
    {
        server = PostgresServer.TryStart(out string reason)!;
        if (server is not null) return;
        string message = $"PostgreSQL could not be started, so the worker fault tests did not run: {reason}";
        if (Environment.GetEnvironmentVariable("SAEALIGN_REQUIRE_POSTGRES") == "1") Assert.Fail(message);
        Assert.Ignore(message);
    }

    [OneTimeTearDown]
    public void StopServer() => server?.Dispose();

    [SetUp]
    public void NewStore()
    {
        data = new TempFolder();
        schema = $"t{Guid.NewGuid():N}";
    }

    [TearDown]
    public void Cleanup()
    {
        foreach (var worker in workers)
        {
            if (TestContext.CurrentContext.Result.Outcome.Status == NUnit.Framework.Interfaces.TestStatus.Failed)
                TestContext.Out.WriteLine($"--- worker {worker.Id}\n{worker.Output}");
            worker.Dispose();
        }
        workers.Clear();
        data.Dispose();
    }

    private WorkerProcess StartWorker(TimeSpan invisibility)
    {
        var worker = new WorkerProcess(server.ConnectionString(), schema, data.Path, invisibility);
        workers.Add(worker);
        return worker;
    }

    private JobQueue Queue() => new(WorkerStorage.Create(new WorkerOptions
    {
        Storage = WorkerOptions.Postgres, Connection = server.ConnectionString(), Schema = schema, DataRoot = data.Path,
    }));

    private IReadOnlyList<QueuedJob> Enqueue(string spec) =>
        Queue().Enqueue(new JobSpecReader(JobTypes.All(), new DataRoot(data.Path)).Read(spec, "spec.json"));

    /// <summary>Polls until every job succeeded; store outages while polling are waited out.</summary>
    private async Task WaitForSuccess(IEnumerable<QueuedJob> jobs, TimeSpan timeout)
    {
        var ids = jobs.Select(j => j.Id).ToArray();
        var deadline = DateTime.UtcNow + timeout;
        string last = "";
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                var queue = Queue();
                var states = ids.Select(id => queue.Status(id)!.State).ToArray();
                Assert.That(states, Has.None.EqualTo("Failed"), "a job failed");
                if (states.All(s => s == "Succeeded")) return;
                last = string.Join(",", states.GroupBy(s => s).Select(g => $"{g.Key}:{g.Count()}"));
            }
            catch (SaeAlign.Core.InvalidInputException)
            {
                last = "store unreachable";
            }
            await Task.Delay(250);
        }
        Assert.Fail($"jobs did not all succeed within {timeout} ({last}).");
    }

    private async Task WaitForLogLine(string logPath, string text)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (DateTime.UtcNow < deadline)
        {
            if (File.Exists(logPath) && TempFolder.ReadShared(logPath).Contains(text, StringComparison.Ordinal)) return;
            await Task.Delay(50);
        }
        Assert.Fail($"{logPath} never showed '{text}'.");
    }

    private static int Count(string text, string part) => (text.Length - text.Replace(part, "", StringComparison.Ordinal).Length) / part.Length;

    private void AssertOutputsCompleteAndUnique(string outFolder, int expected)
    {
        string folder = Path.Combine(data.Path, outFolder);
        var runs = Directory.GetDirectories(folder).Where(d => !d.Contains(".partial-", StringComparison.Ordinal)).ToArray();
        Assert.That(runs, Has.Length.EqualTo(expected));
        foreach (var run in runs)
        {
            Assert.That(RunFolder.FilesIntact(run, RunFolder.Read(run)), Is.True, run);
            Assert.That(File.Exists(Path.Combine(run, JobExecutor.LogFileName)), Is.True, run);
        }
        Assert.That(Directory.GetDirectories(folder, "*.partial-*"), Is.Empty, "no half-written outputs");
    }

    [Test]
    public async Task TwoWorkersRunFortyToyAndSaeJobsEachOutputWrittenOnce()
    {
        Activations.WriteNpy(data, "acts.npy", rows: 256, columns: 8);
        string seeds = string.Join(",", Enumerable.Range(0, 20).Select(i => $"[{i}]"));
        string saeSeeds = string.Join(",", Enumerable.Range(0, 20));
        var jobs = Enqueue($"[{{\"type\":\"train-toy\",{Tiny},\"out\":\"load\",\"sweep\":{{\"seeds\":[{seeds}]}}}}," +
            $"{{\"type\":\"train-sae\",{TinySae},\"out\":\"load-sae\",\"sweep\":{{\"seed\":[{saeSeeds}]}}}}]");
        Assert.That(jobs, Has.Count.EqualTo(40));
        StartWorker(ShortInvisibility);
        StartWorker(ShortInvisibility);

        await WaitForSuccess(jobs, Patience);

        AssertOutputsCompleteAndUnique("load", 20);
        AssertOutputsCompleteAndUnique("load-sae", 20);
        Assert.That(Directory.GetFiles(Path.Combine(data.Path, "load-sae"), "*.checkpoint.safetensors"), Is.Empty, "finished jobs leave no checkpoints");
        foreach (var run in Directory.GetDirectories(Path.Combine(data.Path, "load")).Concat(Directory.GetDirectories(Path.Combine(data.Path, "load-sae"))))
            Assert.That(Count(File.ReadAllText(Path.Combine(run, JobExecutor.LogFileName)), " started on "), Is.EqualTo(1), run);
        foreach (var worker in workers)
            Assert.That(worker.Output, Does.Not.Contain(PostgresServer.PasswordCanary), "the connection string is never logged");
    }

    [Test]
    public async Task AJobWhoseWorkerIsKilledIsPickedUpAgainAndMatchesAnUninterruptedRun()
    {
        var killed = Enqueue($"{{\"type\":\"train-toy\",{Slow},\"out\":\"killed\"}}").Single();
        var first = StartWorker(ShortInvisibility);
        string log = Path.Combine(data.Path, killed.Output + ".log");
        await WaitForLogLine(log, "step 800/4000");

        first.Kill();
        first.WaitForExit(TimeSpan.FromSeconds(30));
        Assert.That(Directory.Exists(Path.Combine(data.Path, killed.Output)), Is.False, "nothing under the final name after SIGKILL");
        Assert.That(Directory.GetDirectories(Path.Combine(data.Path, "killed"), "*.partial-*"), Is.Not.Empty, "the killed run left its staging folder");

        var reference = Enqueue($"{{\"type\":\"train-toy\",{Slow},\"out\":\"reference\"}}").Single();
        StartWorker(ShortInvisibility);
        await WaitForSuccess([killed, reference], Patience);

        AssertOutputsCompleteAndUnique("killed", 1);
        var rerun = RunFolder.Read(Path.Combine(data.Path, killed.Output));
        var uninterrupted = RunFolder.Read(Path.Combine(data.Path, reference.Output));
        Assert.That(rerun.Files, Is.EqualTo(uninterrupted.Files), "same files, same SHA-256, as an uninterrupted run");
        Assert.That(Count(File.ReadAllText(Path.Combine(data.Path, killed.Output, JobExecutor.LogFileName)), " started on "), Is.EqualTo(2),
            "the log records the killed attempt and the one that finished");
    }

    [Test]
    public async Task ASaeJobWhoseWorkerIsKilledResumesFromItsCheckpointToTheSameDictionary()
    {
        Activations.WriteNpy(data, "acts.npy", rows: 2048, columns: 8);
        var killed = Enqueue($"{{\"type\":\"train-sae\",{SlowSae},\"out\":\"sae-killed\"}}").Single();
        string output = Path.Combine(data.Path, killed.Output);
        string checkpoint = SaeTrainingRun.CheckpointPathFor(output);
        var first = StartWorker(ShortInvisibility);
        var deadline = DateTime.UtcNow + Patience;
        while (!File.Exists(checkpoint) && DateTime.UtcNow < deadline) await Task.Delay(20);
        Assert.That(File.Exists(checkpoint), Is.True, "the job checkpointed before the kill");

        first.Kill();
        first.WaitForExit(TimeSpan.FromSeconds(30));
        Assert.That(Directory.Exists(output), Is.False, "nothing under the final name after SIGKILL");

        var reference = Enqueue($"{{\"type\":\"train-sae\",{SlowSae},\"out\":\"sae-reference\"}}").Single();
        StartWorker(ShortInvisibility);
        await WaitForSuccess([killed, reference], Patience);

        AssertOutputsCompleteAndUnique("sae-killed", 1);
        string log = File.ReadAllText(Path.Combine(output, JobExecutor.LogFileName));
        Assert.That(Count(log, " started on "), Is.EqualTo(2), "the killed attempt and the one that finished");
        var resumed = System.Text.RegularExpressions.Regex.Match(log, @"Resumed from the checkpoint at step (\d+)\.");
        Assert.That(resumed.Success, Is.True, log);
        Assert.That(int.Parse(resumed.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), Is.GreaterThan(0));
        string uninterrupted = Path.Combine(data.Path, reference.Output);
        Assert.That(File.ReadAllBytes(Path.Combine(output, SaeTrainingRun.DictionaryFile)),
            Is.EqualTo(File.ReadAllBytes(Path.Combine(uninterrupted, SaeTrainingRun.DictionaryFile))), "bit for bit the dictionary of an uninterrupted run");
        Assert.That(RunFolder.Read(output).Files, Is.EqualTo(RunFolder.Read(uninterrupted).Files), "every file, SHA-256 for SHA-256");
        Assert.That(File.Exists(checkpoint), Is.False, "the checkpoint goes once the run folder is complete");
    }

    [Test]
    public async Task APipelineChainRunsOnTwoWorkersToOneRunFolder()
    {
        data.Write("exp.json", PipelineJobTests.Tiny());
        var jobs = Enqueue("{\"type\":\"pipeline\",\"spec\":\"exp.json\",\"out\":\"pipe\"}");
        Assert.That(jobs.Select(j => j.Stage), Is.EqualTo(new[] { "m4/toy", "m4/sae-seed0", "m4/sae-seed1", "m4/alignment", "report" }));
        Assert.That(Queue().List().Where(j => j.State == "Awaiting").Select(j => j.Id), Is.EquivalentTo(jobs.Skip(1).Select(j => j.Id)));
        StartWorker(ShortInvisibility);
        StartWorker(ShortInvisibility);

        await WaitForSuccess(jobs, Patience);

        string run = Path.Combine(data.Path, jobs[0].Output);
        Assert.That(RunFolder.FilesIntact(run, RunFolder.Read(run)), Is.True);
        foreach (var job in jobs)
            Assert.That(Count(File.ReadAllText(Path.Combine(run, JobExecutor.StageLogFolder, job.Stage + ".log")), " started on "), Is.EqualTo(1), job.Stage);
    }

    [Test]
    public async Task ASigtermedWorkerGivesItsJobBackAndAnotherWorkerFinishesIt()
    {
        // A long invisibility timeout: only an explicit requeue, not a timeout, lets the job run again in time.
        var job = Enqueue($"{{\"type\":\"train-toy\",{Slow},\"out\":\"stopped\"}}").Single();
        var first = StartWorker(TimeSpan.FromMinutes(30));
        await WaitForLogLine(Path.Combine(data.Path, job.Output + ".log"), "step 400/4000");

        first.Terminate();
        Assert.That(first.WaitForExit(TimeSpan.FromSeconds(60)), Is.True, "the worker stops on SIGTERM");
        StartWorker(TimeSpan.FromMinutes(30));
        await WaitForSuccess([job], Patience);

        string jobLog = File.ReadAllText(Path.Combine(data.Path, job.Output, JobExecutor.LogFileName));
        Assert.That(jobLog, Does.Contain("the worker is shutting down or the job was cancelled"));
        AssertOutputsCompleteAndUnique("stopped", 1);
    }

    [Test]
    public async Task WorkersRideOutAPostgresRestart()
    {
        string seeds = string.Join(",", Enumerable.Range(0, 12).Select(i => $"[{i}]"));
        var jobs = Enqueue($"{{\"type\":\"train-toy\",\"features\":6,\"neurons\":2,\"steps\":400,\"evalRows\":50,\"out\":\"restart\",\"sweep\":{{\"seeds\":[{seeds}]}}}}");
        StartWorker(ShortInvisibility);
        StartWorker(ShortInvisibility);
        var queue = Queue();
        var deadline = DateTime.UtcNow + Patience;
        while (jobs.Count(j => queue.Status(j.Id)!.State == "Succeeded") < 2 && DateTime.UtcNow < deadline) await Task.Delay(100);

        server.Stop();
        await Task.Delay(TimeSpan.FromSeconds(3));
        server.Start();

        await WaitForSuccess(jobs, Patience);
        AssertOutputsCompleteAndUnique("restart", 12);
        Assert.That(workers.Select(w => w.HasExited), Is.All.False, "workers survive the outage");
    }

    [Test]
    public async Task TheJobsCommandsQueueListShowAndCancelAndRejectBadSpecsQueueingNothing()
    {
        // The CLI has no schema option: this test uses the default schema, alone in its database.
        string[] store = ["--storage", "postgres", "--connection", server.ConnectionString(), "--data-root", data.Path];
        int Jobs() => new JobQueue(WorkerStorage.Create(new WorkerOptions { Storage = WorkerOptions.Postgres, Connection = server.ConnectionString() })).List().Count;
        var good = await Cli(["jobs", "enqueue", data.Write("good.json", $"{{\"type\":\"train-toy\",{Tiny},\"sweep\":{{\"seeds\":[[0],[1]]}}}}"), "--json", .. store]);
        Assert.That(good.ExitCode, Is.EqualTo(0), good.Error);
        var ids = System.Text.Json.JsonDocument.Parse(good.Out).RootElement.GetProperty("jobs").EnumerateArray().Select(j => j.GetProperty("id").GetString()!).ToArray();
        Assert.That(ids, Has.Length.EqualTo(2));
        int before = Jobs();

        var bad = new Dictionary<string, string>
        {
            ["unknown.json"] = "{\"type\":\"train-everything\"}",
            ["range.json"] = "{\"type\":\"train-toy\",\"features\":6,\"neurons\":0}",
            ["outside.json"] = $"{{\"type\":\"train-toy\",{Tiny},\"out\":\"/etc\"}}",
            ["dotdot.json"] = $"{{\"type\":\"train-toy\",{Tiny},\"out\":\"../up\"}}",
            ["malformed.json"] = "{\"type\": \"train-toy\",",
            ["sweep.json"] = $"{{\"type\":\"train-toy\",{Tiny},\"sweep\":{{\"neurons\":[2,-1]}}}}",
            ["sae-range.json"] = "{\"type\":\"train-sae\",\"activations\":\"acts.npy\",\"k\":0}",
            ["sae-outside.json"] = "{\"type\":\"train-sae\",\"activations\":\"/etc/hostname.npy\"}",
            ["align-metric.json"] = "{\"type\":\"align\",\"source\":\"a.npy\",\"target\":\"b.npy\",\"metrics\":[\"cosine\"]}",
            ["pipeline-both.json"] = "{\"type\":\"pipeline\",\"preset\":\"paper-toy\",\"spec\":\"x.json\"}",
        };
        foreach (var (name, text) in bad)
        {
            var result = await Cli(["jobs", "enqueue", data.Write(name, text), .. store]);
            Assert.That(result.ExitCode, Is.EqualTo(2), name);
            Assert.That(result.Error, Does.StartWith($"error: {Path.Combine(data.Path, name)}"), name);
        }
        Assert.That(Jobs(), Is.EqualTo(before), "a rejected spec queues nothing, not even its valid combinations");

        var list = await Cli(["jobs", "list", "--json", .. store]);
        Assert.That(list.Out, Does.Contain(ids[0]).And.Contain("Enqueued"));
        var status = await Cli(["jobs", "status", ids[0], .. store]);
        Assert.That(status.Out, Does.Contain($"job {ids[0]}: Enqueued").And.Contain("train-toy"));
        Assert.That((await Cli(["jobs", "cancel", ids[0], .. store])).ExitCode, Is.EqualTo(0));
        Assert.That((await Cli(["jobs", "status", ids[0], "--json", .. store])).Out, Does.Contain("\"state\": \"Deleted\""));
        var again = await Cli(["jobs", "cancel", ids[0], .. store]);
        Assert.That(again.ExitCode, Is.EqualTo(2));
        Assert.That((await Cli(["jobs", "status", "999999", .. store])).Error, Does.Contain("no job '999999'"));
        Assert.That(string.Concat(good.Out, good.Error, list.Out, status.Out), Does.Not.Contain(PostgresServer.PasswordCanary));
    }

    private static async Task<(int ExitCode, string Out, string Error)> Cli(string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = await SaeAlignCli.RunAsync(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }
}
