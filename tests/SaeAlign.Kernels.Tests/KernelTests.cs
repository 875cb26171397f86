using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;

namespace SaeAlign.Kernels.Tests;

/// <summary>The engine's kernels on ILGPU's CPU accelerator against plain C# loops in float64.</summary>
public class KernelTests
{
    private static IlgpuAccelerator accelerator = null!;

    [OneTimeSetUp]
    public void Open() => accelerator = IlgpuAccelerator.OnCpu();

    [OneTimeTearDown]
    public void Close() => accelerator.Dispose();

    private static float[] Random(int length, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, length).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
    }

    // Shapes that are and are not multiples of the CPU accelerator's 16 x 16 block and a GPU's 64 x 64, some thinner than a
    // block, some deeper than its 16-wide k slice; 0 threads per group is the CPU accelerator's own (side 4), 256 a GPU's (side 16).
    [TestCase(1, 1, 1, 0)]
    [TestCase(16, 16, 16, 0)]
    [TestCase(17, 5, 33, 0)]
    [TestCase(3, 40, 70, 0)]
    [TestCase(64, 16, 64, 256)]
    [TestCase(70, 37, 130, 256)]
    [TestCase(5, 3, 200, 256)]
    public void GemmEqualsTheProductPlusBias(int m, int k, int n, int threadsPerGroup)
    {
        float[] a = Random(m * k, 1), b = Random(k * n, 2), bias = Random(n, 3);
        using var gpuShaped = threadsPerGroup == 0 ? null : GpuShaped();
        var device = gpuShaped?.Accelerator ?? accelerator.Accelerator;
        Assert.That(device.MaxNumThreadsPerGroup, Is.GreaterThanOrEqualTo(threadsPerGroup));
        var c = Product(device, a, b, bias, m, k, n);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double expected = bias[j];
                for (int q = 0; q < k; q++) expected += (double)a[i * k + q] * b[q * n + j];
                Assert.That(c[i * n + j], Is.EqualTo(expected).Within(1e-5), $"c[{i}, {j}]");
            }
    }

    [Test]
    public void GemmGivesTheSameFloatsWhateverTheGroupShape()
    {
        const int m = 70, k = 37, n = 130;
        float[] a = Random(m * k, 1), b = Random(k * n, 2), bias = Random(n, 3);
        using var gpuShaped = GpuShaped();
        Assert.That(Product(gpuShaped.Accelerator, a, b, bias, m, k, n), Is.EqualTo(Product(accelerator.Accelerator, a, b, bias, m, k, n)),
            "each output sums in increasing k in one accumulator");
    }

    /// <summary>A CPU device with 32-thread warps, 8 to a group: kernels run in the group shape they take on a GPU.</summary>
    private static IlgpuAccelerator GpuShaped() => IlgpuAccelerator.OnCpu(new CPUDevice(32, 8, 1));

    [TestCase(TopKObjective.AuxK)]
    [TestCase(TopKObjective.PaperToy)]
    public void TheEngineTrainsAlikeInAGpusGroupShape(TopKObjective objective)
    {
        // 64 rows of k 4 among 300 latents over 24 units, 3 steps with a window of 2: AuxK works in the third, the batch-dead term in all.
        var settings = new TopKEngineSettings(24, 300, 4, 12, 0.25, 2, 0.01, objective == TopKObjective.AuxK, 64, objective);
        float[] Train(IlgpuAccelerator device)
        {
            using var engine = new TopKEngine(device, settings, Random(24 * 300, 11), Random(300 * 24, 12), new float[300], Random(24, 13));
            for (int step = 1; step <= 3; step++) engine.Step(Random(64 * 24, 20 + step), 64, step, 1e-2);
            return engine.Values("W_dec");
        }
        using var gpuShaped = GpuShaped();
        var shaped = Train(gpuShaped);
        var plain = Train(accelerator);
        // The same sums but for the order of atomic gradient additions.
        Assert.That(shaped.Zip(plain, (a, b) => Math.Abs(a - b)).Max(), Is.LessThan(1e-5));
        Assert.That(shaped.Zip(Random(300 * 24, 12), (a, b) => Math.Abs(a - b)).Max(), Is.GreaterThan(1e-3), "it trained");
    }

    private static float[] Product(Accelerator device, float[] a, float[] b, float[] bias, int m, int k, int n)
    {
        using var aBuffer = device.Allocate1D(a);
        using var bBuffer = device.Allocate1D(b);
        using var biasBuffer = device.Allocate1D(bias);
        using var cBuffer = device.Allocate1D<float>(m * n);
        new Gemm(device).Run(aBuffer.View, bBuffer.View, biasBuffer.View, cBuffer.View, m, k, n);
        return cBuffer.GetAsArray1D();
    }

    // k in each of the kernel's list sizes (up to 64: a group a row; 256, 1,024 and 4,096: a thread a row), on the CPU accelerator's
    // groups and on 256-thread ones (threads 0 and 256); values rounded to a tenth tie often, across the group's threads too.
    [TestCase(5, 1, 0, 0, false)]
    [TestCase(9, 4, 0, 0, false)]
    [TestCase(9, 9, 0, 0, false)]
    [TestCase(12, 3, 2, 0, false)]
    [TestCase(700, 40, 0, 0, true)]
    [TestCase(700, 40, 2, 256, true)]
    [TestCase(300, 64, 0, 256, false)]
    [TestCase(700, 100, 2, 0, true)]
    [TestCase(700, 600, 0, 0, false)]
    [TestCase(1200, 1100, 0, 0, false)]
    public void RowTopKKeepsEachRowsLargestAmongTheCandidatesWithTheirReluCodes(int dSae, int k, int deadWindow, int threadsPerGroup, bool ties)
    {
        const int rows = 6;
        var pre = Random(rows * dSae, 4);
        if (ties) pre = Array.ConvertAll(pre, v => MathF.Round(v, 1));
        // Latents 0, 3, 6, ... have not fired for 2 steps: with a window of 2 only they are candidates.
        var since = Enumerable.Range(0, dSae).Select(i => i % 3 == 0 ? 2 : 1).ToArray();
        using var gpuShaped = threadsPerGroup == 0 ? null : GpuShaped();
        var device = gpuShaped?.Accelerator ?? accelerator.Accelerator;
        using var preBuffer = device.Allocate1D(pre);
        using var sinceBuffer = device.Allocate1D(since);
        using var indices = device.Allocate1D<int>(rows * k);
        using var codes = device.Allocate1D<float>(rows * k);
        new RowTopK(device).Run(rows, preBuffer.View, sinceBuffer.View, indices.View, codes.View, dSae, k, deadWindow);
        var chosen = indices.GetAsArray1D();
        var values = codes.GetAsArray1D();
        for (int b = 0; b < rows; b++)
        {
            // A stable descending sort: ties in increasing latent order.
            var expected = Enumerable.Range(0, dSae).Where(i => deadWindow == 0 || since[i] >= deadWindow)
                .OrderByDescending(i => pre[b * dSae + i]).Take(k).ToArray();
            Assert.That(chosen[(b * k)..((b + 1) * k)], Is.EqualTo(expected), $"row {b}");
            Assert.That(values[(b * k)..((b + 1) * k)], Is.EqualTo(expected.Select(i => Math.Max(pre[b * dSae + i], 0f)).ToArray()), $"row {b} codes");
        }
    }

    [TestCase(0b1011_0010, 8)]
    [TestCase(0, 5)]
    [TestCase(0b11111, 5)]
    public void TheUnfiredLatentsAreListedInOrderAndGatheredWithTheirRawPreActivations(int firedMask, int dSae)
    {
        const int rows = 3;
        var fired = Enumerable.Range(0, dSae).Select(i => (firedMask >> i) & 1).ToArray();
        var pre = Random(rows * dSae, 5);
        var device = accelerator.Accelerator;
        var dead = new DeadLatents(device);
        using var firedBuffer = device.Allocate1D(fired);
        using var list = device.Allocate1D<int>(dSae);
        using var count = device.Allocate1D<int>(1);
        dead.ListUnfired(firedBuffer.View, list.View, count.View);
        int listed = count.GetAsArray1D()[0];
        var expected = Enumerable.Range(0, dSae).Where(i => fired[i] == 0).ToArray();
        Assert.That(list.GetAsArray1D()[..listed], Is.EqualTo(expected));
        if (listed == 0) return;

        using var preBuffer = device.Allocate1D(pre);
        using var indices = device.Allocate1D<int>(rows * listed);
        using var codes = device.Allocate1D<float>(rows * listed);
        dead.Gather(rows, list.View, listed, preBuffer.View, indices.View, codes.View, dSae);
        Assert.That(indices.GetAsArray1D(), Is.EqualTo(Enumerable.Range(0, rows).SelectMany(_ => expected)));
        Assert.That(codes.GetAsArray1D(), Is.EqualTo(Enumerable.Range(0, rows).SelectMany(b => expected.Select(i => pre[b * dSae + i]))), "negative ones too");
    }

    [TestCase(1 << 30)]
    [TestCase(7)]
    public void SparseGradientsAddEveryEntryWhateverTheLaunchSlices(int maxExtent)
    {
        // 7 threads a launch is two entries of width 3: 20 entries take ten launches, as 8.6e9 threads would take nine on a GPU.
        const int rows = 5, k = 4, dIn = 3, dSae = 6;
        var random = new Random(9);
        var indices = Enumerable.Range(0, rows).SelectMany(_ => Enumerable.Range(0, dSae).OrderBy(_ => random.Next()).Take(k)).ToArray();
        var codes = Random(rows * k, 6);
        var r = Random(rows * dIn, 7);
        var device = accelerator.Accelerator;
        using var indexBuffer = device.Allocate1D(indices);
        using var codeBuffer = device.Allocate1D(codes);
        using var rBuffer = device.Allocate1D(r);
        using var decoderGradient = device.Allocate1D<float>(dSae * dIn);
        using var encoderGradient = device.Allocate1D<float>(dIn * dSae);
        using var biasGradient = device.Allocate1D<float>(dSae);
        foreach (var buffer in new[] { decoderGradient, encoderGradient, biasGradient }) buffer.MemSetToZero();
        new SparseDecode(device, maxExtent).DecoderGradient(rows * k, indexBuffer.View, codeBuffer.View, rBuffer.View, decoderGradient.View, 2f, k, dIn);
        new SparseEncoder(device, maxExtent).EncoderGradient(rows * k, indexBuffer.View, codeBuffer.View, rBuffer.View, encoderGradient.View, biasGradient.View, k, dIn, dSae);
        var expectedDecoder = new double[dSae * dIn];
        var expectedEncoder = new double[dIn * dSae];
        var expectedBias = new double[dSae];
        for (int e = 0; e < rows * k; e++)
        {
            int b = e / k, latent = indices[e];
            expectedBias[latent] += codes[e];
            for (int j = 0; j < dIn; j++)
            {
                expectedDecoder[latent * dIn + j] += 2 * codes[e] * r[b * dIn + j];
                expectedEncoder[j * dSae + latent] += codes[e] * r[b * dIn + j];
            }
        }
        Assert.That(decoderGradient.GetAsArray1D(), Is.EqualTo(expectedDecoder).Within(1e-5));
        Assert.That(encoderGradient.GetAsArray1D(), Is.EqualTo(expectedEncoder).Within(1e-5));
        Assert.That(biasGradient.GetAsArray1D(), Is.EqualTo(expectedBias).Within(1e-5));
    }
}
