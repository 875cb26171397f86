using TorchSharp;
using static TorchSharp.torch;

namespace SaeAlign.ToyModels;

/// <summary>
/// The toy models' data: each feature is active with probability p and then uniform in [0, 1).
/// The stream is a pure function of its seed, so every model of an experiment sees the same
/// batches in the same order, and the generated features are the ground truth of each stimulus.
/// </summary>
public sealed class SparseFeatureStream : IDisposable
{
    private readonly Generator generator;
    private readonly int features;
    private readonly double probability;

    public SparseFeatureStream(int features, double probability, long seed)
    {
        this.features = features;
        this.probability = probability;
        generator = new Generator((ulong)seed);
    }

    /// <summary>The next <paramref name="rows"/> stimuli, [rows, features] float32.</summary>
    public Tensor Next(int rows)
    {
        using var scope = NewDisposeScope();
        var values = rand(rows, features, generator: generator);
        var active = rand(rows, features, generator: generator) <= probability;
        return values.mul_(active).MoveToOuterDisposeScope();
    }

    public void Dispose() => generator.Dispose();
}
