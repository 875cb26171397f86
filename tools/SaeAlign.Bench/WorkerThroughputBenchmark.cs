using BenchmarkDotNet.Attributes;
using Hangfire;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SaeAlign.Core;
using SaeAlign.ToyModels;
using SaeAlign.Worker;

namespace SaeAlign.Bench;

/// <summary>
/// Job throughput: <see cref="Jobs"/> tiny train-toy jobs (6 features x 2 neurons, 20 steps, 50
/// evaluation rows, one seed each, one torch thread) run directly one after another, and through the
/// worker (embedded store, 2 concurrent jobs). Jobs per second = Jobs / time per operation; the
/// queue's overhead per job is the difference at Workers = 1 divided by Jobs.
/// </summary>
public class WorkerThroughputBenchmark
{
    private const int Jobs = 20;
    private readonly List<string> folders = [];
    private ToyModelConfig config = null!;

    [Params(1, 2)]
    public int Workers { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        TorchRuntime.Configure(1);
        config = new ToyModelConfig { Features = 6, Neurons = 2, Steps = 20, EvalRows = 50 };
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var folder in folders) Directory.Delete(folder, recursive: true);
    }

    [Benchmark(Baseline = true)]
    public void Direct()
    {
        string root = NewFolder();
        for (int seed = 0; seed < Jobs; seed++)
            new ToyExperiment(config, [seed]).Run(Path.Combine(root, $"run{seed}"));
    }

    [Benchmark]
    public async Task Queued()
    {
        string root = NewFolder();
        using var host = WorkerHost.Build(new Dictionary<string, string?>
        {
            ["Worker:DataRoot"] = root,
            ["Worker:Concurrency"] = Workers.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Worker:TorchThreads"] = "1",
        }, logging => logging.SetMinimumLevel(LogLevel.Warning));
        string seeds = string.Join(",", Enumerable.Range(0, Jobs).Select(i => $"[{i}]"));
        var plans = new JobSpecReader(JobTypes.All(), new DataRoot(root)).Read(
            $"{{\"type\":\"train-toy\",\"features\":6,\"neurons\":2,\"steps\":20,\"evalRows\":50,\"sweep\":{{\"seeds\":[{seeds}]}}}}", "bench");
        var queued = new JobQueue(host.Services.GetRequiredService<JobStorage>()).Enqueue(plans);
        await WorkerHost.RunUntilDoneAsync(host, queued.Select(q => q.Id).ToArray(), CancellationToken.None);
    }

    private string NewFolder()
    {
        string folder = Path.Combine(Path.GetTempPath(), "saealign-bench", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        folders.Add(folder);
        return folder;
    }
}
