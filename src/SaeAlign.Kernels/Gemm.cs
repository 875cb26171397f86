using ILGPU;
using ILGPU.Runtime;

namespace SaeAlign.Kernels;

/// <summary>
/// C = A·B + bias (row-major, float32): the encoder's product. A group of side² threads computes a block of
/// (4·side)² outputs, 4 x 4 per thread in registers, staging a (4·side) x 16 slice of A and a 16 x (4·side) slice of B in
/// shared memory: each value read from global memory serves 4·side products and each one read from shared memory serves
/// four, where one output per thread would read two shared values per product. The side is 16 on a GPU (64 x 64 blocks,
/// 256 threads) and as large as the accelerator's groups allow elsewhere (ILGPU's CPU accelerator: 4). Every output
/// sums its products in increasing k in one accumulator, whatever the side.
/// </summary>
internal sealed class Gemm
{
    private const int MaxSide = 16, Micro = 4, Depth = 16;
    private readonly int side;
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, int> kernel;

    public Gemm(Accelerator accelerator)
    {
        side = Math.Min(MaxSide, (int)Math.Sqrt(accelerator.MaxNumThreadsPerGroup));
        kernel = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, int>(Kernel);
    }

    /// <summary>c [m, n] = a [m, k] · b [k, n] + bias [n].</summary>
    public void Run(ArrayView<float> a, ArrayView<float> b, ArrayView<float> bias, ArrayView<float> c, int m, int k, int n)
    {
        int block = side * Micro;
        int groups = (m + block - 1) / block * ((n + block - 1) / block);
        kernel(new KernelConfig(groups, side * side), a, b, bias, c, m, k, n, side);
    }

    private static void Kernel(ArrayView<float> a, ArrayView<float> b, ArrayView<float> bias, ArrayView<float> c, int m, int k, int n, int side)
    {
        var aSlice = SharedMemory.Allocate<float>(MaxSide * Micro * Depth);
        var bSlice = SharedMemory.Allocate<float>(Depth * MaxSide * Micro);
        int block = side * Micro, threads = side * side, thread = Group.IdxX;
        int blocksN = (n + block - 1) / block;
        int top = Grid.IdxX / blocksN * block, left = Grid.IdxX % blocksN * block;
        // Thread (ty, tx) owns rows top + ty + i·side and columns left + tx + j·side: neighbouring threads read
        // neighbouring shared words and write neighbouring outputs.
        int ty = thread / side, tx = thread % side;
        float c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
        float c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
        for (int start = 0; start < k; start += Depth)
        {
            for (int e = thread; e < block * Depth; e += threads)
            {
                int row = top + e / Depth, column = start + e % Depth;
                aSlice[e] = row < m && column < k ? a[(long)row * k + column] : 0f;
            }
            for (int e = thread; e < Depth * block; e += threads)
            {
                int row = start + e / block, column = left + e % block;
                bSlice[e] = row < k && column < n ? b[(long)row * n + column] : 0f;
            }
            Group.Barrier();
            for (int q = 0; q < Depth; q++)
            {
                float a0 = aSlice[ty * Depth + q], a1 = aSlice[(ty + side) * Depth + q];
                float a2 = aSlice[(ty + 2 * side) * Depth + q], a3 = aSlice[(ty + 3 * side) * Depth + q];
                float b0 = bSlice[q * block + tx], b1 = bSlice[q * block + tx + side];
                float b2 = bSlice[q * block + tx + 2 * side], b3 = bSlice[q * block + tx + 3 * side];
                c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
                c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
                c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
                c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
            }
            Group.Barrier();
        }
        int r0 = top + ty, c0 = left + tx;
        StoreRow(c, bias, r0, c0, side, m, n, c00, c01, c02, c03);
        StoreRow(c, bias, r0 + side, c0, side, m, n, c10, c11, c12, c13);
        StoreRow(c, bias, r0 + 2 * side, c0, side, m, n, c20, c21, c22, c23);
        StoreRow(c, bias, r0 + 3 * side, c0, side, m, n, c30, c31, c32, c33);
    }

    /// <summary>A thread's four outputs in one row (columns <paramref name="column"/> + j·side) plus the bias, where they are inside c.</summary>
    private static void StoreRow(ArrayView<float> c, ArrayView<float> bias, int row, int column, int side, int m, int n, float v0, float v1, float v2, float v3)
    {
        if (row >= m) return;
        long at = (long)row * n;
        if (column < n) c[at + column] = v0 + bias[column];
        if (column + side < n) c[at + column + side] = v1 + bias[column + side];
        if (column + 2 * side < n) c[at + column + 2 * side] = v2 + bias[column + 2 * side];
        if (column + 3 * side < n) c[at + column + 3 * side] = v3 + bias[column + 3 * side];
    }
}
