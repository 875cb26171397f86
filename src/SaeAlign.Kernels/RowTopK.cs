using ILGPU;
using ILGPU.Runtime;

namespace SaeAlign.Kernels;

/// <summary>
/// Each row's k largest pre-activations (optionally among dead latents only: AuxK) and their ReLU'd codes. One thread per
/// row keeps a sorted list of k in local memory; a candidate below the list's smallest costs one comparison, so a row of
/// d_sae costs about d_sae comparisons. Ties keep the lower latent index. The list's size is fixed when the kernel is
/// compiled, so there is one kernel per size bucket: a GPU reserves local memory for every thread it could run at once,
/// and 4,096 entries a thread (32 KiB) would reserve gigabytes where k is 32.
/// </summary>
internal sealed class RowTopK
{
    /// <summary>The largest k (and AuxK's k) the kernel keeps per row.</summary>
    public const int MaxK = 4096;

    private const int SmallK = 64, MediumK = 512;

    private readonly Action<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<int>, ArrayView<float>, int, int, int> small, medium, large;

    public RowTopK(Accelerator accelerator)
    {
        small = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<int>, ArrayView<float>, int, int, int>(SmallKernel);
        medium = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<int>, ArrayView<float>, int, int, int>(MediumKernel);
        large = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<int>, ArrayView<float>, int, int, int>(LargeKernel);
    }

    /// <summary>
    /// For each of <paramref name="rows"/> rows of <paramref name="pre"/> [rows, d_sae]: indices and max(value, 0) of its
    /// <paramref name="k"/> largest entries, among latents with <paramref name="sinceFired"/> ≥ <paramref name="deadWindow"/>
    /// when the window is positive (there must be at least k of them).
    /// </summary>
    public void Run(int rows, ArrayView<float> pre, ArrayView<int> sinceFired, ArrayView<int> indices, ArrayView<float> codes, int dSae, int k, int deadWindow)
    {
        var kernel = k <= SmallK ? small : k <= MediumK ? medium : large;
        kernel(rows, pre, sinceFired, indices, codes, dSae, k, deadWindow);
    }

    private static void SmallKernel(Index1D b, ArrayView<float> pre, ArrayView<int> sinceFired, ArrayView<int> indices, ArrayView<float> codes, int dSae, int k, int deadWindow) =>
        Select(b, LocalMemory.Allocate<float>(SmallK), LocalMemory.Allocate<int>(SmallK), pre, sinceFired, indices, codes, dSae, k, deadWindow);

    private static void MediumKernel(Index1D b, ArrayView<float> pre, ArrayView<int> sinceFired, ArrayView<int> indices, ArrayView<float> codes, int dSae, int k, int deadWindow) =>
        Select(b, LocalMemory.Allocate<float>(MediumK), LocalMemory.Allocate<int>(MediumK), pre, sinceFired, indices, codes, dSae, k, deadWindow);

    private static void LargeKernel(Index1D b, ArrayView<float> pre, ArrayView<int> sinceFired, ArrayView<int> indices, ArrayView<float> codes, int dSae, int k, int deadWindow) =>
        Select(b, LocalMemory.Allocate<float>(MaxK), LocalMemory.Allocate<int>(MaxK), pre, sinceFired, indices, codes, dSae, k, deadWindow);

    private static void Select(int b, ArrayView<float> topValues, ArrayView<int> topIndices, ArrayView<float> pre, ArrayView<int> sinceFired,
        ArrayView<int> indices, ArrayView<float> codes, int dSae, int k, int deadWindow)
    {
        int count = 0;
        long row = (long)b * dSae;
        for (int i = 0; i < dSae; i++)
        {
            if (deadWindow > 0 && sinceFired[i] < deadWindow) continue;
            float v = pre[row + i];
            if (count == k && !(v > topValues[k - 1])) continue;
            int p = count < k ? count++ : k - 1;
            while (p > 0 && v > topValues[p - 1])
            {
                topValues[p] = topValues[p - 1];
                topIndices[p] = topIndices[p - 1];
                p--;
            }
            topValues[p] = v;
            topIndices[p] = i;
        }
        for (int t = 0; t < k; t++)
        {
            indices[b * k + t] = topIndices[t];
            codes[b * k + t] = topValues[t] > 0 ? topValues[t] : 0f;
        }
    }
}
