using ILGPU;
using ILGPU.Runtime;

namespace SaeAlign.Kernels;

/// <summary>Steps since each latent last fired (a positive code in some row), kept on the device, and how many are dead.</summary>
internal sealed class DeadLatents
{
    private readonly Action<Index1D, ArrayView<int>, ArrayView<float>, ArrayView<int>> markFired;
    private readonly Action<Index1D, ArrayView<int>, ArrayView<int>, ArrayView<int>, int> advance;

    public DeadLatents(Accelerator accelerator)
    {
        markFired = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<int>, ArrayView<float>, ArrayView<int>>(MarkFiredKernel);
        advance = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<int>, ArrayView<int>, ArrayView<int>, int>(AdvanceKernel);
    }

    /// <summary>fired[i[e]] = 1 for every selected entry with a positive code.</summary>
    public void MarkFired(int entries, ArrayView<int> indices, ArrayView<float> codes, ArrayView<int> fired) => markFired(entries, indices, codes, fired);

    /// <summary>sinceFired = 0 where fired, else + 1; fired is cleared; <paramref name="deadCount"/>[0] counts sinceFired ≥ window (clear it first).</summary>
    public void Advance(ArrayView<int> fired, ArrayView<int> sinceFired, ArrayView<int> deadCount, int window) =>
        advance((int)sinceFired.Length, fired, sinceFired, deadCount, window);

    private static void MarkFiredKernel(Index1D entry, ArrayView<int> indices, ArrayView<float> codes, ArrayView<int> fired)
    {
        if (codes[entry] > 0) fired[indices[entry]] = 1;
    }

    private static void AdvanceKernel(Index1D i, ArrayView<int> fired, ArrayView<int> sinceFired, ArrayView<int> deadCount, int window)
    {
        int since = fired[i] != 0 ? 0 : sinceFired[i] + 1;
        sinceFired[i] = since;
        fired[i] = 0;
        if (since >= window) Atomic.Add(ref deadCount[0], 1);
    }
}
