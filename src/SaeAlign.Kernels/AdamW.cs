using ILGPU;
using ILGPU.Runtime;

namespace SaeAlign.Kernels;

/// <summary>
/// The update and the decoder's unit-norm constraint, element by element on the device, as SaeAlign's torch AdamW (torch.optim.AdamW:
/// decoupled weight decay, bias-corrected moments, ε outside the square root) and the trainer's decoder projection do them.
/// </summary>
internal sealed class AdamW
{
    private const float Beta1 = 0.9f, Beta2 = 0.999f, Epsilon = 1e-8f;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, float, float, float> update;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, int> removeParallel;
    private readonly Action<Index1D, ArrayView<float>, int> normalizeRows;

    public AdamW(Accelerator accelerator)
    {
        update = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, float, float, float>(UpdateKernel);
        removeParallel = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, int>(RemoveParallelKernel);
        normalizeRows = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, int>(NormalizeRowsKernel);
    }

    /// <summary>One AdamW step at 1-based step <paramref name="t"/> for a parameter, its gradient and its two moments.</summary>
    public void Update(ArrayView<float> parameter, ArrayView<float> gradient, ArrayView<float> first, ArrayView<float> second, int t, double lr, double weightDecay)
    {
        double correction1 = 1 - Math.Pow(Beta1, t), correction2 = 1 - Math.Pow(Beta2, t);
        update((int)parameter.Length, parameter, gradient, first, second, (float)(1 - lr * weightDecay), (float)(-lr / correction1),
            (float)Math.Sqrt(correction2));
    }

    /// <summary>Removes from each row of the decoder's gradient its component along that row (rows of length <paramref name="dIn"/>).</summary>
    public void RemoveParallel(ArrayView<float> gradient, ArrayView<float> decoder, int rows, int dIn) => removeParallel(rows, gradient, decoder, dIn);

    public void NormalizeRows(ArrayView<float> decoder, int rows, int dIn) => normalizeRows(rows, decoder, dIn);

    private static void UpdateKernel(Index1D i, ArrayView<float> p, ArrayView<float> g, ArrayView<float> m, ArrayView<float> v,
        float decay, float step, float rootCorrection2)
    {
        float gradient = g[i];
        float parameter = p[i] * decay;
        float first = m[i] * Beta1 + gradient * (1 - Beta1);
        float second = v[i] * Beta2 + gradient * gradient * (1 - Beta2);
        m[i] = first;
        v[i] = second;
        p[i] = parameter + step * (first / (MathF.Sqrt(second) / rootCorrection2 + Epsilon));
    }

    private static void RemoveParallelKernel(Index1D row, ArrayView<float> gradient, ArrayView<float> decoder, int dIn)
    {
        long start = (long)row.X * dIn;
        float dot = 0;
        for (int j = 0; j < dIn; j++) dot += gradient[start + j] * decoder[start + j];
        for (int j = 0; j < dIn; j++) gradient[start + j] -= dot * decoder[start + j];
    }

    private static void NormalizeRowsKernel(Index1D row, ArrayView<float> decoder, int dIn)
    {
        long start = (long)row.X * dIn;
        float squares = 0;
        for (int j = 0; j < dIn; j++) squares += decoder[start + j] * decoder[start + j];
        float norm = MathF.Max(MathF.Sqrt(squares), 1e-12f);
        for (int j = 0; j < dIn; j++) decoder[start + j] /= norm;
    }
}
