using TorchSharp;
using static TorchSharp.torch;

namespace SaeAlign.Alignment;

/// <summary>
/// A float64 tensor reused for every row block of a pass. A fresh tensor per block costs a clone of the managed
/// array (torch.tensor copies it) and, above glibc's 32 MB mmap threshold, page faults on every allocation:
/// at a = b = 64 that was more time than the GEMMs the blocks feed.
/// </summary>
internal sealed class BlockBuffer(Device? device = null) : IDisposable
{
    private Tensor? buffer;

    /// <summary>Rows [<paramref name="firstRow"/>, + <paramref name="rows"/>) of row-major float32 values, as a float64 view of the buffer.</summary>
    public Tensor Load(float[] values, int firstRow, int rows, int columns)
    {
        var view = Rows(rows, columns);
        using var shared = Shared(values, firstRow, rows, columns);
        view.copy_(shared);
        return view;
    }

    /// <summary>Rows of row-major float32 values as a tensor over the array itself (no copy; keep the array alive while it is used).</summary>
    public static Tensor Shared(float[] values, int firstRow, int rows, int columns) =>
        torch.frombuffer(values, ScalarType.Float32, (long)rows * columns, (long)firstRow * columns).view(rows, columns);

    /// <summary>A copy of <paramref name="source"/> (2-D, float64) in the buffer, for in-place work that must not change the source.</summary>
    public Tensor Copy(Tensor source) => Rows((int)source.shape[0], (int)source.shape[1]).copy_(source);

    private Tensor Rows(int rows, int columns)
    {
        if (buffer is null || buffer.shape[0] < rows || buffer.shape[1] != columns)
        {
            buffer?.Dispose();
            buffer = torch.empty(rows, columns, ScalarType.Float64, device).DetachFromDisposeScope();
        }
        return buffer.narrow(0, 0, rows);
    }

    public void Dispose() => buffer?.Dispose();
}
