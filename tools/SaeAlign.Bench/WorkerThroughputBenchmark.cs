using BenchmarkDotNet.Attributes;
using SaeAlign.Torch;
using SaeAlign.ToyModels;

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
    private readonly QueuedJobs jobs = new();
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
    public void Cleanup() => jobs.Dispose();

    [Benchmark(Baseline = true)]
    public void Direct()
    {
        string root = jobs.NewFolder();
        for (int seed = 0; seed < Jobs; seed++)
            new ToyExperiment(config, [seed]).Run(Path.Combine(root, $"run{seed}"));
    }

    [Benchmark]
    public Task Queued()
    {
        string seeds = string.Join(",", Enumerable.Range(0, Jobs).Select(i => $"[{i}]"));
        return jobs.RunAsync($"{{\"type\":\"train-toy\",\"features\":6,\"neurons\":2,\"steps\":20,\"evalRows\":50,\"sweep\":{{\"seeds\":[{seeds}]}}}}", Workers);
    }
}
