using ILGPU;
using ILGPU.Runtime;

namespace SaeAlign.Kernels;

/// <summary>
/// C = A·B + bias (row-major, float32): the encoder's product. Each group of tile² threads computes a tile x tile block of
/// C, staging tile x tile blocks of A and B in shared memory so each value read from global memory serves tile products.
/// The tile is 16 on a GPU and as large as the accelerator's groups allow elsewhere (ILGPU's CPU accelerator: 4).
/// </summary>
internal sealed class Gemm
{
    private const int MaxTile = 16;
    private readonly int tile;
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, int> kernel;

    public Gemm(Accelerator accelerator)
    {
        tile = Math.Min(MaxTile, (int)Math.Sqrt(accelerator.MaxNumThreadsPerGroup));
        kernel = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, int>(Kernel);
    }

    /// <summary>c [m, n] = a [m, k] · b [k, n] + bias [n].</summary>
    public void Run(ArrayView<float> a, ArrayView<float> b, ArrayView<float> bias, ArrayView<float> c, int m, int k, int n)
    {
        int groups = (m + tile - 1) / tile * ((n + tile - 1) / tile);
        kernel(new KernelConfig(groups, tile * tile), a, b, bias, c, m, k, n, tile);
    }

    private static void Kernel(ArrayView<float> a, ArrayView<float> b, ArrayView<float> bias, ArrayView<float> c, int m, int k, int n, int tile)
    {
        var aTile = SharedMemory.Allocate<float>(MaxTile * MaxTile);
        var bTile = SharedMemory.Allocate<float>(MaxTile * MaxTile);
        int tilesN = (n + tile - 1) / tile;
        int ty = Group.IdxX / tile, tx = Group.IdxX % tile;
        int row = Grid.IdxX / tilesN * tile + ty, column = Grid.IdxX % tilesN * tile + tx;
        float sum = 0;
        for (int start = 0; start < k; start += tile)
        {
            aTile[ty * tile + tx] = row < m && start + tx < k ? a[(long)row * k + start + tx] : 0f;
            bTile[ty * tile + tx] = start + ty < k && column < n ? b[(long)(start + ty) * n + column] : 0f;
            Group.Barrier();
            for (int q = 0; q < tile; q++) sum += aTile[ty * tile + q] * bTile[q * tile + tx];
            Group.Barrier();
        }
        if (row < m && column < n) c[(long)row * n + column] = sum + bias[column];
    }
}
