using SaeAlign.Core;
using TorchSharp;
using static SaeAlign.Core.InputField;

namespace SaeAlign.Torch;

/// <summary>Process-wide libtorch settings, applied once at the edge (a command, a job, a test fixture).</summary>
public static class TorchRuntime
{
    /// <summary>
    /// Loads libtorch and sets its intra-op thread count (0 keeps libtorch's default, one per core).
    /// Results are reproducible for a fixed seed and a fixed thread count.
    /// </summary>
    public static void Configure(int threads = 0)
    {
        if (threads < 0) throw new InvalidInputException($"{Named("threads")} must be 0 (all cores) or positive, got {threads}.");
        torch.InitializeDeviceType(DeviceType.CPU);
        if (threads > 0) torch.set_num_threads(threads);
    }
}
