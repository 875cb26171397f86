using BenchmarkDotNet.Attributes;
using SaeAlign.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace SaeAlign.Bench;

/// <summary>
/// The machine's float64 GEMM rate on AlignmentBenchmark's data: XᵀY for N = 2,048,000, a = b = 64 through
/// libtorch (2 N a b = 16.8 GFLOP), the floor for the moment metrics' correlation step.
/// </summary>
[SimpleJob(launchCount: 1, warmupCount: 1, iterationCount: 3)]
public class AlignmentGemmBenchmark
{
    private Tensor x = null!, y = null!;

    [GlobalSetup]
    public void Setup()
    {
        TorchRuntime.Configure();
        var (source, target) = AlignmentData.Pair(2_048_000, 64, 64);
        x = torch.tensor(source.Values, [2_048_000, 64]).to_type(ScalarType.Float64);
        y = torch.tensor(target.Values, [2_048_000, 64]).to_type(ScalarType.Float64);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        x.Dispose();
        y.Dispose();
    }

    [Benchmark]
    public double Gemm()
    {
        using var product = torch.mm(x.t(), y);
        return product[0, 0].item<double>();
    }
}
