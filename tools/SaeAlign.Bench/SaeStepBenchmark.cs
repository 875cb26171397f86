using BenchmarkDotNet.Attributes;
using SaeAlign.Sae;
using SaeAlign.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace SaeAlign.Bench;

/// <summary>
/// One TopK SAE training step (forward, loss, backward, Adam update) at d_in = 512, d_sae = 16,384, k = 32,
/// batch 4,096, decoding densely (scatter + matmul) or sparsely (embedding_bag, B·k·d_in). The PyTorch eager
/// peer is python/sae_topk_step.py.
/// </summary>
[SimpleJob(launchCount: 1, warmupCount: 1, iterationCount: 5, invocationCount: 1)]
public class SaeTopKStepBenchmark
{
    private const int DIn = 512, DSae = 16_384, K = 32, Batch = 4096;
    private TopKSae model = null!;
    private optim.Optimizer optimizer = null!;
    private EmbeddingBagDecoder bag = null!;
    private Tensor x = null!, dead = null!;

    [Params("dense", "sparse")]
    public string Decode { get; set; } = "dense";

    [GlobalSetup]
    public void Setup()
    {
        TorchRuntime.Configure();
        var config = new TopKSaeConfig { DSae = DSae, K = K };
        model = (TopKSae)config.Architecture.Create(config, DIn, zeros(DIn));
        bag = new EmbeddingBagDecoder(model.WDec);
        if (Decode == "sparse") model.SparseDecoder = bag.Decode;
        optimizer = optim.Adam(model.Parameters.Select(p => p.Parameter), 2e-4);
        using var generator = new Generator(0);
        x = randn(Batch, DIn, generator: generator);
        dead = zeros(DSae, dtype: ScalarType.Bool);
    }

    [Benchmark]
    public float Step() => SaeTrainingStep.Run(model, optimizer, x, dead);

    [GlobalCleanup]
    public void Cleanup()
    {
        bag.Dispose();
        model.Dispose();
    }
}

/// <summary>The paper-toy SAE's training step at d_in = 32, d_sae = 64, k = 7, batch 1,024 (AdamW), the paper's loop.</summary>
public class SaePaperToyStepBenchmark
{
    private PaperToySae model = null!;
    private optim.Optimizer optimizer = null!;
    private Tensor x = null!, dead = null!;

    [GlobalSetup]
    public void Setup()
    {
        TorchRuntime.Configure();
        model = PaperToySae.Initialize(new PaperToySaeConfig(), 32);
        optimizer = optim.AdamW(model.Parameters.Select(p => p.Parameter), 1e-3);
        using var generator = new Generator(0);
        x = nn.functional.relu(randn(1024, 32, generator: generator));
        dead = zeros(64, dtype: ScalarType.Bool);
    }

    [Benchmark]
    public float Step() => SaeTrainingStep.Run(model, optimizer, x, dead);

    [GlobalCleanup]
    public void Cleanup() => model.Dispose();
}

/// <summary>One optimiser step of an SAE on a fixed batch, as both benchmarks time it.</summary>
internal static class SaeTrainingStep
{
    public static float Run(SparseAutoencoder model, optim.Optimizer optimizer, Tensor x, Tensor dead)
    {
        using var scope = NewDisposeScope();
        var step = model.Forward(x, dead, 0);
        optimizer.zero_grad();
        step.Loss.backward();
        optimizer.step();
        return step.Loss.item<float>();
    }
}
