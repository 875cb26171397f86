using ILGPU;
using ILGPU.Runtime;

namespace SaeAlign.Kernels;

/// <summary>
/// Steps since each latent last fired (a positive code in some row), kept on the device, and how many are dead; and the
/// latents that did not fire in this batch, for paper-toy's dead term.
/// </summary>
internal sealed class DeadLatents
{
    private readonly Action<Index1D, ArrayView<int>, ArrayView<float>, ArrayView<int>> markFired;
    private readonly Action<Index1D, ArrayView<int>, ArrayView<int>, ArrayView<int>, int> advance;
    private readonly Action<Index1D, ArrayView<int>, ArrayView<int>, ArrayView<int>> listUnfired;
    private readonly Action<Index1D, ArrayView<int>, int, ArrayView<float>, ArrayView<int>, ArrayView<float>, int> gather;

    public DeadLatents(Accelerator accelerator)
    {
        markFired = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<int>, ArrayView<float>, ArrayView<int>>(MarkFiredKernel);
        advance = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<int>, ArrayView<int>, ArrayView<int>, int>(AdvanceKernel);
        listUnfired = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<int>, ArrayView<int>, ArrayView<int>>(ListUnfiredKernel);
        gather = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<int>, int, ArrayView<float>, ArrayView<int>, ArrayView<float>, int>(GatherKernel);
    }

    /// <summary>fired[i[e]] = 1 for every selected entry with a positive code.</summary>
    public void MarkFired(int entries, ArrayView<int> indices, ArrayView<float> codes, ArrayView<int> fired) => markFired(entries, indices, codes, fired);

    /// <summary>sinceFired = 0 where fired, else + 1; fired is cleared; <paramref name="deadCount"/>[0] counts sinceFired ≥ window (clear it first).</summary>
    public void Advance(ArrayView<int> fired, ArrayView<int> sinceFired, ArrayView<int> deadCount, int window) =>
        advance((int)sinceFired.Length, fired, sinceFired, deadCount, window);

    /// <summary>
    /// The latents not marked in <paramref name="fired"/>, in increasing order, into <paramref name="list"/>, and their number
    /// into <paramref name="count"/>[0]. One thread scans d_sae, so the order, and every sum over the list, is the same on every run.
    /// </summary>
    public void ListUnfired(ArrayView<int> fired, ArrayView<int> list, ArrayView<int> count) => listUnfired(1, fired, list, count);

    /// <summary>Each of <paramref name="rows"/> rows gets the <paramref name="listed"/> latents of the list with their raw pre-activations, as k-sparse entries.</summary>
    public void Gather(int rows, ArrayView<int> list, int listed, ArrayView<float> pre, ArrayView<int> indices, ArrayView<float> codes, int dSae) =>
        gather(rows * listed, list, listed, pre, indices, codes, dSae);

    private static void ListUnfiredKernel(Index1D thread, ArrayView<int> fired, ArrayView<int> list, ArrayView<int> count)
    {
        int listed = 0;
        for (int i = 0; i < (int)fired.Length; i++)
            if (fired[i] == 0) list[listed++] = i;
        count[0] = listed;
    }

    private static void GatherKernel(Index1D entry, ArrayView<int> list, int listed, ArrayView<float> pre, ArrayView<int> indices, ArrayView<float> codes, int dSae)
    {
        int latent = list[entry % listed];
        indices[entry] = latent;
        codes[entry] = pre[(long)(entry.X / listed) * dSae + latent];
    }

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
