using ILGPU;
using ILGPU.Runtime;

namespace SaeAlign.Kernels;

/// <summary>
/// Each row's k largest pre-activations (optionally among dead latents only: AuxK) and their ReLU'd codes, ordered by
/// value and, on ties, by the lower latent index. A list of k kept sorted in local memory takes a candidate below its
/// last with one comparison, so a scan costs about one comparison a latent. For k up to 64 (the main selection) a group
/// of threads shares a row: thread t scans latents t, t + G, ... (neighbouring threads read neighbouring words), and one
/// thread merges the group's lists, each sorted, so a list is left at its first candidate that does not enter. Larger k
/// (AuxK's) takes one thread a row. The list's size is fixed when the kernel is compiled, so there is one kernel per
/// size (64, 256, 1,024, 4,096): a GPU reserves local memory for every thread it could run at once, 8 bytes an entry,
/// so 4,096 entries a thread (32 KiB) would reserve gigabytes where k is 32.
/// </summary>
internal sealed class RowTopK
{
    /// <summary>The largest k (and AuxK's k) the kernel keeps per row.</summary>
    public const int MaxK = 4096;

    private const int SmallK = 64, MediumK = 256, LargeK = 1024, MaxGroup = 64;

    private readonly int group;
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<int>, ArrayView<int>, ArrayView<float>, int, int, int> grouped;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<int>, ArrayView<float>, int, int, int> medium, large, largest;

    public RowTopK(Accelerator accelerator)
    {
        group = Math.Min(MaxGroup, accelerator.MaxNumThreadsPerGroup);
        grouped = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<int>, ArrayView<int>, ArrayView<float>, int, int, int>(GroupedKernel);
        medium = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<int>, ArrayView<float>, int, int, int>(MediumKernel);
        large = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<int>, ArrayView<float>, int, int, int>(LargeKernel);
        largest = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<int>, ArrayView<float>, int, int, int>(LargestKernel);
    }

    /// <summary>
    /// For each of <paramref name="rows"/> rows of <paramref name="pre"/> [rows, d_sae]: indices and max(value, 0) of its
    /// <paramref name="k"/> largest entries, among latents with <paramref name="sinceFired"/> ≥ <paramref name="deadWindow"/>
    /// when the window is positive (there must be at least k of them).
    /// </summary>
    public void Run(int rows, ArrayView<float> pre, ArrayView<int> sinceFired, ArrayView<int> indices, ArrayView<float> codes, int dSae, int k, int deadWindow)
    {
        switch (ListSize(k))
        {
            case SmallK: grouped(new KernelConfig(rows, group), pre, sinceFired, indices, codes, dSae, k, deadWindow); break;
            case MediumK: medium(rows, pre, sinceFired, indices, codes, dSae, k, deadWindow); break;
            case LargeK: large(rows, pre, sinceFired, indices, codes, dSae, k, deadWindow); break;
            default: largest(rows, pre, sinceFired, indices, codes, dSae, k, deadWindow); break;
        }
    }

    /// <summary>The local memory a thread of the kernel that selects k holds: 8 bytes an entry of its list.</summary>
    public static int LocalBytes(int k) => 8 * ListSize(k);

    private static int ListSize(int k) => k <= SmallK ? SmallK : k <= MediumK ? MediumK : k <= LargeK ? LargeK : MaxK;

    private static void GroupedKernel(ArrayView<float> pre, ArrayView<int> sinceFired, ArrayView<int> indices, ArrayView<float> codes, int dSae, int k, int deadWindow)
    {
        var values = LocalMemory.Allocate<float>(SmallK);
        var latents = LocalMemory.Allocate<int>(SmallK);
        var groupValues = SharedMemory.Allocate<float>(MaxGroup * SmallK);
        var groupLatents = SharedMemory.Allocate<int>(MaxGroup * SmallK);
        var counts = SharedMemory.Allocate<int>(MaxGroup);
        int b = Grid.IdxX, thread = Group.IdxX, threads = Group.DimX;
        int count = Scan(b, thread, threads, values, latents, pre, sinceFired, dSae, k, deadWindow);
        for (int q = 0; q < count; q++)
        {
            groupValues[thread * SmallK + q] = values[q];
            groupLatents[thread * SmallK + q] = latents[q];
        }
        counts[thread] = count;
        Group.Barrier();
        if (thread != 0) return;
        int merged = 0;
        for (int other = 0; other < threads; other++)
            for (int q = 0; q < counts[other]; q++)
            {
                float v = groupValues[other * SmallK + q];
                int i = groupLatents[other * SmallK + q];
                if (merged == k && !Before(v, i, values[k - 1], latents[k - 1])) break;
                merged = Insert(v, i, values, latents, merged, k);
            }
        Write(b, values, latents, indices, codes, k);
    }

    private static void MediumKernel(Index1D b, ArrayView<float> pre, ArrayView<int> sinceFired, ArrayView<int> indices, ArrayView<float> codes, int dSae, int k, int deadWindow) =>
        Alone(b, LocalMemory.Allocate<float>(MediumK), LocalMemory.Allocate<int>(MediumK), pre, sinceFired, indices, codes, dSae, k, deadWindow);

    private static void LargeKernel(Index1D b, ArrayView<float> pre, ArrayView<int> sinceFired, ArrayView<int> indices, ArrayView<float> codes, int dSae, int k, int deadWindow) =>
        Alone(b, LocalMemory.Allocate<float>(LargeK), LocalMemory.Allocate<int>(LargeK), pre, sinceFired, indices, codes, dSae, k, deadWindow);

    private static void LargestKernel(Index1D b, ArrayView<float> pre, ArrayView<int> sinceFired, ArrayView<int> indices, ArrayView<float> codes, int dSae, int k, int deadWindow) =>
        Alone(b, LocalMemory.Allocate<float>(MaxK), LocalMemory.Allocate<int>(MaxK), pre, sinceFired, indices, codes, dSae, k, deadWindow);

    private static void Alone(int b, ArrayView<float> values, ArrayView<int> latents, ArrayView<float> pre, ArrayView<int> sinceFired,
        ArrayView<int> indices, ArrayView<float> codes, int dSae, int k, int deadWindow)
    {
        Scan(b, 0, 1, values, latents, pre, sinceFired, dSae, k, deadWindow);
        Write(b, values, latents, indices, codes, k);
    }

    /// <summary>Row <paramref name="b"/>'s best k among latents first, first + stride, ...: the list's length.</summary>
    private static int Scan(int b, int first, int stride, ArrayView<float> values, ArrayView<int> latents, ArrayView<float> pre, ArrayView<int> sinceFired,
        int dSae, int k, int deadWindow)
    {
        int count = 0;
        long row = (long)b * dSae;
        for (int i = first; i < dSae; i += stride)
        {
            if (deadWindow > 0 && sinceFired[i] < deadWindow) continue;
            float v = pre[row + i];
            if (count == k && !Before(v, i, values[k - 1], latents[k - 1])) continue;
            count = Insert(v, i, values, latents, count, k);
        }
        return count;
    }

    /// <summary>Whether (v, i) comes before (w, j): a larger value, or the same value at a lower latent.</summary>
    private static bool Before(float v, int i, float w, int j) => v > w || (v == w && i < j);

    /// <summary>Puts (v, i) in its place in the sorted list of <paramref name="count"/>, the last falling out when k are kept; the new length.</summary>
    private static int Insert(float v, int i, ArrayView<float> values, ArrayView<int> latents, int count, int k)
    {
        int p = count < k ? count++ : k - 1;
        while (p > 0 && Before(v, i, values[p - 1], latents[p - 1]))
        {
            values[p] = values[p - 1];
            latents[p] = latents[p - 1];
            p--;
        }
        values[p] = v;
        latents[p] = i;
        return count;
    }

    private static void Write(int b, ArrayView<float> values, ArrayView<int> latents, ArrayView<int> indices, ArrayView<float> codes, int k)
    {
        for (int t = 0; t < k; t++)
        {
            indices[b * k + t] = latents[t];
            codes[b * k + t] = values[t] > 0 ? values[t] : 0f;
        }
    }
}
