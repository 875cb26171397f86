using SaeAlign.Data;
using static TorchSharp.torch;

namespace SaeAlign.Sae;

/// <summary>
/// One SAE's trained state and its training step, on libtorch (<see cref="TorchTrainingEngine"/>) or on SaeAlign's ILGPU
/// kernels (<see cref="IlgpuTrainingEngine"/>). <see cref="SaeTrainer"/> runs the loop around it: data order, learning-rate
/// schedule, divergence check, metrics curve, checkpoints and the final evaluation are the same for both.
/// </summary>
internal interface ITrainingEngine : IDisposable
{
    /// <summary>One step on <paramref name="batch"/> ([rows, d_in] on the CPU, scaled) at 0-based <paramref name="step"/>; the loss before the update.</summary>
    float Step(Tensor batch, int step, double lr);

    /// <summary>The metrics of the step just taken, on its batch; <paramref name="scale"/> is the input scale (MSE is reported unscaled).</summary>
    SaeMetricsPoint Measure(int step, float loss, Tensor batch, double scale);

    /// <summary>Everything a checkpoint holds, by name: model.*, adam.m.*, adam.v.* and steps_since_fired (the same names on both engines).</summary>
    IEnumerable<(string Name, SafeTensor Tensor)> State();

    /// <summary>Copies a checkpoint's tensors into the state.</summary>
    void Restore(SaeCheckpoint checkpoint);

    /// <summary>The dictionary of the weights now, for inputs multiplied by <paramref name="scale"/>.</summary>
    SaeDictionary Dictionary(double scale);
}

/// <summary>The metrics both engines report, from a step's squared error per row (summed), L0 and dead fraction.</summary>
internal static class StepMetrics
{
    public static SaeMetricsPoint Of(int step, float loss, double errorSum, Tensor batch, float l0, float deadFraction, double scale)
    {
        using var scope = NewDisposeScope();
        long rows = batch.shape[0];
        double totalVariance = (batch - batch.mean([0], keepdim: true)).square().sum().item<float>();
        return new SaeMetricsPoint(step, loss, (float)(errorSum / rows / (scale * scale)),
            totalVariance > 0 ? (float)(errorSum / totalVariance) : float.NaN, l0, deadFraction);
    }
}
