using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using SaeAlign.Pipelines;
using SaeAlign.Torch;

namespace SaeAlign.Bench;

/// <summary>
/// The queue's overhead on a whole pipeline: the paper-toy experiment at scale 0.01 for m = 8 (two seeds; 102,400
/// stimuli) run directly by <see cref="DisentanglementPipeline"/> in this process, and as the worker's chain of
/// stage jobs (toy -> SAE seed 0 -> SAE seed 1 -> alignment -> report) on the embedded store. The chain's stages
/// each replay the stimuli they need, which the direct run does once.
/// </summary>
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 1, iterationCount: 3)]
public class PipelineChainBenchmark
{
    private const double Scale = 0.01;
    private const int Neurons = 8;
    private readonly QueuedJobs jobs = new();

    [GlobalSetup]
    public void Setup() => TorchRuntime.Configure(1);

    [GlobalCleanup]
    public void Cleanup() => jobs.Dispose();

    [Benchmark(Baseline = true)]
    public PipelineResult Direct()
    {
        var spec = (PipelineSpec.LoadPreset("paper-toy") with { Neurons = [Neurons] }).Scaled(Scale);
        return new DisentanglementPipeline(spec, "paper-toy").Run(jobs.NewFolder());
    }

    [Benchmark]
    public Task Chain() => jobs.RunAsync($"{{\"type\":\"pipeline\",\"preset\":\"paper-toy\",\"scale\":{Scale},\"neurons\":[{Neurons}]}}", concurrency: 2);
}
