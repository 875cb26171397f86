using Hangfire;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SaeAlign.Core;
using SaeAlign.Data;

namespace SaeAlign.Worker.Tests;

/// <summary>The worker host on the embedded in-memory store, in this process.</summary>
public class InMemoryWorkerTests
{
    private const string Tiny = "\"features\":6,\"neurons\":2,\"steps\":20,\"evalRows\":50";

    private static IHost Host(TempFolder data, int concurrency = 2) => InMemoryWorker.Build(data, concurrency);

    private static Task<IReadOnlyList<JobStatus>> Run(TempFolder data, string spec) => InMemoryWorker.RunAsync(data, spec);

    [Test]
    public async Task ASweepRunsToCompleteRunFoldersWithTheirLogs()
    {
        using var data = new TempFolder();
        var statuses = await Run(data, $"{{\"type\":\"train-toy\",{Tiny},\"out\":\"runs\",\"sweep\":{{\"seeds\":[[0],[1],[2]]}}}}");
        Assert.That(statuses.Select(s => s.State), Is.All.EqualTo("Succeeded"));
        var folders = Directory.GetDirectories(Path.Combine(data.Path, "runs"));
        Assert.That(folders, Has.Length.EqualTo(3));
        foreach (var folder in folders)
        {
            Assert.That(RunFolder.FilesIntact(folder, RunFolder.Read(folder)), Is.True);
            Assert.That(File.ReadAllText(Path.Combine(folder, JobExecutor.LogFileName)), Does.Contain("step 20/20").And.Contain("done"));
        }
        Assert.That(Directory.GetFiles(Path.Combine(data.Path, "runs"), "*.log"), Is.Empty, "each log moved into its run folder");
    }

    [Test]
    public async Task AJobWhoseOutputExistsCompletesAtOnceWithoutTouchingIt()
    {
        using var data = new TempFolder();
        string spec = $"{{\"type\":\"train-toy\",{Tiny},\"seeds\":[0]}}";
        await Run(data, spec);
        string folder = Directory.GetDirectories(Path.Combine(data.Path, TrainToyJob.DefaultOut)).Single();
        var before = File.GetLastWriteTimeUtc(Path.Combine(folder, RunFolder.ManifestFileName));

        var again = await Run(data, spec);
        Assert.That(again.Single().State, Is.EqualTo("Succeeded"));
        Assert.That(File.GetLastWriteTimeUtc(Path.Combine(folder, RunFolder.ManifestFileName)), Is.EqualTo(before));
    }

    [Test]
    public async Task AnOutputFolderThatIsNotARunFolderFailsTheJobWithoutRetries()
    {
        using var data = new TempFolder();
        string spec = $"{{\"type\":\"train-toy\",{Tiny},\"seeds\":[0],\"out\":\"runs\"}}";
        var plan = new JobSpecReader(JobTypes.All(), new DataRoot(data.Path)).Read(spec, "spec.json").Single();
        data.Write(Path.Combine(plan.Output, "notes.txt"), "mine");

        var status = (await Run(data, spec)).Single();
        Assert.That(status.State, Is.EqualTo("Failed"));
        Assert.That(status.Error, Does.Contain("not a run folder"));
        Assert.That(File.ReadAllText(Path.Combine(data.Path, plan.Output, "notes.txt")), Is.EqualTo("mine"));
    }

    [Test]
    public async Task ACancelledRunningJobWritesNothing()
    {
        using var data = new TempFolder();
        var plans = new JobSpecReader(JobTypes.All(), new DataRoot(data.Path))
            .Read("{\"type\":\"train-toy\",\"features\":64,\"neurons\":8,\"steps\":200000,\"evalRows\":50,\"seeds\":[0],\"out\":\"runs\"}", "spec.json");
        using var host = Host(data, concurrency: 1);
        var queue = new JobQueue(host.Services.GetRequiredService<JobStorage>());
        string id = queue.Enqueue(plans).Single().Id;
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var run = WorkerHost.RunUntilDoneAsync(host, [id], timeout.Token);
        string log = Path.Combine(data.Path, plans[0].Output + ".log");
        while (!File.Exists(log)) await Task.Delay(100, timeout.Token);

        Assert.That(queue.Cancel(id), Is.True);
        var status = (await run).Single();
        Assert.That(status.State, Is.EqualTo("Deleted"));
        Assert.That(Directory.Exists(Path.Combine(data.Path, plans[0].Output)), Is.False);
        Assert.That(Directory.GetDirectories(Path.Combine(data.Path, "runs"), "*.partial-*"), Is.Empty);
        Assert.That(queue.Cancel(id), Is.False, "a cancelled job cannot be cancelled again");
    }

    [Test]
    public async Task TheEmbeddedStoreSaysThatQueuedJobsDoNotSurviveARestart()
    {
        using var data = new TempFolder();
        var capture = new CapturingLoggerProvider();
        using var host = WorkerHost.Build(new Dictionary<string, string?> { ["Worker:DataRoot"] = data.Path }, logging => logging.AddProvider(capture));
        await host.StartAsync();
        await host.StopAsync();
        Assert.That(capture.Text, Does.Contain("storage memory").And.Contain("queued and running jobs live in this process only and are lost when it stops"));
    }

    [Test]
    public void BadWorkerSettingsNameTheOption()
    {
        using var data = new TempFolder();
        Assert.That(Assert.Throws<InvalidInputException>(() => WorkerHost.Build(new Dictionary<string, string?> { ["Worker:Storage"] = "redis" }))!.Message,
            Does.StartWith("--storage"));
        Assert.That(Assert.Throws<InvalidInputException>(() => WorkerHost.Build(new Dictionary<string, string?> { ["Worker:Storage"] = "postgres" }))!.Message,
            Does.Contain("SAEALIGN_Worker__Connection"));
        Assert.That(Assert.Throws<InvalidInputException>(() => WorkerHost.Build(new Dictionary<string, string?> { ["Worker:Concurrency"] = "0" }))!.Message,
            Does.StartWith("--concurrency"));
    }

    [Test]
    public void AnInvalidConnectionStringIsRejectedWithoutEchoingIt()
    {
        var options = new WorkerOptions { Storage = WorkerOptions.Postgres, Connection = "Host=db;Password=hunter2;Bogus Key=1" };
        var e = Assert.Throws<InvalidInputException>(() => WorkerStorage.Create(options))!;
        Assert.That(e.Message, Does.StartWith("--connection").And.Not.Contain("hunter2"));
        Assert.That(WorkerStorage.Describe(new WorkerOptions { Storage = WorkerOptions.Postgres, Connection = "Host=db;Port=5433;Database=q;Password=hunter2" }), Is.EqualTo("postgres db:5433/q (schema hangfire)"));
    }
}

/// <summary>Collects log messages in memory.</summary>
internal sealed class CapturingLoggerProvider : ILoggerProvider
{
    private readonly System.Text.StringBuilder text = new();

    public string Text
    {
        get
        {
            lock (text) return text.ToString();
        }
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void Dispose()
    {
    }

    private sealed class Logger(CapturingLoggerProvider owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (owner.text) owner.text.AppendLine(formatter(state, exception));
        }
    }
}
