using System.Runtime;
using System.Runtime.InteropServices;

namespace SaeAlign.Core;

/// <summary>
/// Gives memory back to the operating system between multi-gigabyte stages. Without it the process keeps every
/// stage's peak: the GC collects large arrays lazily, and glibc keeps libtorch's freed buffers in its per-thread
/// arenas (seeds run on several threads), so the full-scale pipeline outgrew a 24 GiB machine.
/// </summary>
public static class ProcessMemory
{
    public static void Release()
    {
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        // Tensors that were never disposed free their native buffers in finalizers, which the first collection only queues.
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        if (OperatingSystem.IsLinux()) MallocTrim(0);
    }

    [DllImport("libc", EntryPoint = "malloc_trim")]
    private static extern int MallocTrim(nuint pad);
}
