namespace SaeAlign.Kernels;

/// <summary>
/// Launch extents are int: a kernel with one thread per (entry, column) over entries × width threads (4,096 rows × AuxK
/// 1,024 × d_in 2,048 is 8.6e9) goes in slices of whole entries, each at most <see cref="MaxExtent"/> threads.
/// </summary>
internal static class LaunchSlices
{
    public const int MaxExtent = 1 << 30;

    /// <summary>Calls <paramref name="launch"/>(first entry, entries) for consecutive slices covering <paramref name="entries"/>.</summary>
    public static void Run(int entries, int width, int maxExtent, Action<int, int> launch)
    {
        int slice = Math.Max(1, maxExtent / Math.Max(1, width));
        for (int first = 0; first < entries; first += slice) launch(first, Math.Min(slice, entries - first));
    }
}
