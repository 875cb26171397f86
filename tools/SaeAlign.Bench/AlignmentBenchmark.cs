using BenchmarkDotNet.Attributes;
using SaeAlign.Alignment;
using SaeAlign.Core;
using SaeAlign.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace SaeAlign.Bench;

/// <summary>
/// Alignment metrics at the paper's evaluation size: N = 2,048,000 stimuli, a = b = 64 units (ReLU codes of a
/// shared latent, so every metric has signal), --cv none except "all", which is the default suite with
/// kfold:5:42. <see cref="AlignmentGemmBenchmark"/> times the machine's float64 GEMM on the same data, the floor
/// for the correlation step. Peer: python/alignment_peers.py (numpy/scipy/sklearn/POT).
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 1, iterationCount: 3)]
public class AlignmentBenchmark
{
    private IPairedRows rows = null!;

    [Params(2_048_000)]
    public int Stimuli { get; set; }

    [Params("semi", "soft", "one-to-one", "ridge", "cka", "rsa", "procrustes", "mknn", "all")]
    public string Metric { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        TorchRuntime.Configure();
        var (source, target) = AlignmentData.Pair(Stimuli, 64, 64);
        rows = new InMemoryPairedRows(source, target);
    }

    [Benchmark]
    public AlignmentReport Align() => AlignmentRunner.Run(rows, Metric == "all"
        ? new AlignmentOptions()
        : new AlignmentOptions { Metrics = [Metric], Cv = CrossValidation.None });
}

/// <summary>Synthetic activations: two ReLU read-outs of one Gaussian latent (16 dimensions) plus noise, float32.</summary>
internal static class AlignmentData
{
    public static (ActivationSet Source, ActivationSet Target) Pair(int rows, int a, int b)
    {
        using var scope = torch.NewDisposeScope();
        var generator = new torch.Generator(7);
        var latent = torch.randn(rows, 16, generator: generator);
        ActivationSet Readout(int units)
        {
            var values = torch.nn.functional.relu(torch.mm(latent, torch.randn(16, units, generator: generator)) + 0.5f * torch.randn(rows, units, generator: generator));
            return new ActivationSet(values.contiguous().data<float>().ToArray(), rows, units);
        }
        return (Readout(a), Readout(b));
    }
}
