using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;

namespace SaeAlign.Kernels;

/// <summary>
/// An ILGPU context and one accelerator: a CUDA device (ILGPU compiles the kernels to PTX and runs them through the
/// NVIDIA driver alone, no CUDA toolkit or libtorch) or ILGPU's CPU accelerator, which runs the same kernels on threads.
/// </summary>
public sealed class IlgpuAccelerator : IDisposable
{
    private readonly Context context;

    private IlgpuAccelerator(Context context, Accelerator accelerator)
    {
        this.context = context;
        Accelerator = accelerator;
    }

    public Accelerator Accelerator { get; }

    /// <summary>The accelerator's name, e.g. "NVIDIA H200" or "CPUAccelerator".</summary>
    public string Name => Accelerator.Name;

    public bool IsCuda => Accelerator.AcceleratorType == AcceleratorType.Cuda;

    /// <summary>The bytes free for new buffers: a GPU's free memory now (other processes hold some), else the memory the process may use.</summary>
    public long AvailableBytes => Accelerator is CudaAccelerator cuda ? cuda.GetFreeMemory() : GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;

    /// <summary>The threads a GPU can hold at once, for each of which it reserves a kernel's local memory; 0 on the CPU (thread stacks).</summary>
    public long ResidentThreads => IsCuda ? (long)Accelerator.NumMultiprocessors * Accelerator.MaxNumThreadsPerMultiprocessor : 0;

    /// <summary>ILGPU's CPU accelerator: every kernel, on threads (tests, machines without a GPU).</summary>
    public static IlgpuAccelerator OnCpu() => OnCpu(null);

    /// <summary>A CPU accelerator simulating <paramref name="device"/>'s group shape (tests run the kernels in a GPU's shape), or the default one.</summary>
    internal static IlgpuAccelerator OnCpu(CPUDevice? device)
    {
        var context = Context.Create(builder => { if (device is null) builder.CPU(); else builder.CPU(device); });
        return new IlgpuAccelerator(context, context.CreateCPUAccelerator(0));
    }

    /// <summary>How many CUDA devices the NVIDIA driver reports (0 without one, or without the driver).</summary>
    public static int CudaDevices()
    {
        using var context = Context.Create(builder => builder.Cuda());
        return context.GetCudaDevices().Count;
    }

    /// <summary>CUDA device <paramref name="index"/>, or null when the driver reports no such device.</summary>
    public static IlgpuAccelerator? OnCuda(int index = 0)
    {
        var context = Context.Create(builder => builder.Cuda());
        if (context.GetCudaDevices().Count <= index)
        {
            context.Dispose();
            return null;
        }
        return new IlgpuAccelerator(context, context.CreateCudaAccelerator(index));
    }

    public void Dispose()
    {
        Accelerator.Dispose();
        context.Dispose();
    }
}
