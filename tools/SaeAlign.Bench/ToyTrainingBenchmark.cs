using BenchmarkDotNet.Attributes;
using SaeAlign.Torch;
using SaeAlign.ToyModels;

namespace SaeAlign.Bench;

/// <summary>
/// Toy-model training throughput for paper-64x32 at batch 1024: one invocation trains for
/// <see cref="Steps"/> steps, so BenchmarkDotNet's per-operation time is the time of one step
/// (steps per second = 1 / that). Models = 2 is the paper's pair, trained side by side.
/// </summary>
[MemoryDiagnoser]
public class ToyTrainingBenchmark
{
    private const int Steps = 200;
    private ToyModelConfig config = null!;

    [Params(1, 2)]
    public int Models { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        TorchRuntime.Configure();
        config = ToyPreset.Load("paper-64x32").Config with { Steps = Steps };
    }

    [Benchmark(OperationsPerInvoke = Steps)]
    public IReadOnlyList<TrainedToyModel> TrainStep() =>
        new ToyModelTrainer(config).Train(Enumerable.Range(0, Models).Select(i => (long)i).ToArray());
}
