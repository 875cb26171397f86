using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SaeAlign.Kernels.Tests;

/// <summary>The sparse decoders against the dense TorchSharp reference: forward values and gradients within 1e-5 relative.</summary>
public class SparseDecodeTests
{
    private static readonly object[] Shapes =
    [
        new object[] { 5, 1, 7, 3 },    // k = 1
        new object[] { 4, 7, 7, 5 },    // k = d_sae
        new object[] { 6, 3, 10, 4 },
        new object[] { 16, 8, 64, 12 },
    ];

    private sealed record Case(Tensor Indices, Tensor Values, Parameter Decoder, Tensor Weights);

    private static Case Make(int batch, int k, int dSae, int dIn)
    {
        using var generator = new Generator(11);
        var pre = randn(batch, dSae, generator: generator);
        var (values, indices) = topk(pre, k, dim: -1);
        var decoder = new Parameter(randn(dSae, dIn, generator: generator));
        // A random linear functional of the output, so the gradient is not the same for every element.
        return new Case(indices, values.abs().detach().requires_grad_(true), decoder, randn(batch, dIn, generator: generator));
    }

    private static (float[] Output, float[] ValueGrad, float[] DecoderGrad) Run(Case c, Func<Tensor, Tensor, Tensor, Tensor> decode)
    {
        c.Values.grad?.zero_();
        c.Decoder.grad?.zero_();
        var output = decode(c.Indices, c.Values, c.Decoder);
        (output * c.Weights).sum().backward();
        return (output.detach().data<float>().ToArray(), c.Values.grad!.data<float>().ToArray(), c.Decoder.grad!.data<float>().ToArray());
    }

    private static Tensor Dense(Tensor indices, Tensor values, Tensor decoder) =>
        matmul(zeros(values.shape[0], decoder.shape[0]).scatter(-1, indices, values), decoder);

    private static void AssertClose(float[] actual, float[] expected, string what)
    {
        double scale = Math.Max(1e-6, expected.Max(v => Math.Abs((double)v)));
        for (int i = 0; i < expected.Length; i++)
            Assert.That(Math.Abs(actual[i] - expected[i]) / scale, Is.LessThan(1e-5), $"{what}[{i}]: {actual[i]} vs {expected[i]}");
    }

    private static void AssertMatchesDense(Case c, Func<Tensor, Tensor, Tensor, Tensor> decode)
    {
        var expected = Run(c, Dense);
        var actual = Run(c, decode);
        AssertClose(actual.Output, expected.Output, "output");
        AssertClose(actual.ValueGrad, expected.ValueGrad, "∂/∂values");
        AssertClose(actual.DecoderGrad, expected.DecoderGrad, "∂/∂W_dec");
    }

    [TestCaseSource(nameof(Shapes))]
    public void IlgpuKernelsOnTheCpuAcceleratorMatchDense(int batch, int k, int dSae, int dIn)
    {
        using var scope = NewDisposeScope();
        using var kernels = IlgpuSparseDecoder.OnCpu();
        AssertMatchesDense(Make(batch, k, dSae, dIn), kernels.Decode);
    }

    [TestCaseSource(nameof(Shapes))]
    public void EmbeddingBagMatchesDense(int batch, int k, int dSae, int dIn)
    {
        using var scope = NewDisposeScope();
        var c = Make(batch, k, dSae, dIn);
        using var bag = new EmbeddingBagDecoder(c.Decoder);
        AssertMatchesDense(c, bag.Decode);
    }

    [Test]
    public void IlgpuKernelsOnCudaMatchDense()
    {
        using var kernels = IlgpuSparseDecoder.OnCuda();
        if (kernels is null)
        {
            Assert.Ignore("No CUDA device on this machine: the ILGPU CUDA path is skipped (the same kernels are tested on the CPU accelerator).");
            return;
        }
        TestContext.Out.WriteLine($"CUDA device: {kernels.DeviceName}");
        using var scope = NewDisposeScope();
        foreach (object[] shape in Shapes)
            AssertMatchesDense(Make((int)shape[0], (int)shape[1], (int)shape[2], (int)shape[3]), kernels.Decode);
    }

    [TestCaseSource(nameof(Shapes))]
    public void FusedSquaredErrorOnTheCpuAcceleratorMatchesDense(int batch, int k, int dSae, int dIn)
    {
        using var scope = NewDisposeScope();
        using var kernels = IlgpuSparseDecoder.OnCpu();
        var c = Make(batch, k, dSae, dIn);
        var bias = new TorchSharp.Modules.Parameter(c.Weights[0] * 0.5f);
        var target = c.Weights * 2f;
        (float Loss, float[] Values, float[] Decoder, float[] Bias) Run(Func<Tensor> loss)
        {
            foreach (var p in new[] { c.Values, c.Decoder, bias }) p.grad?.zero_();
            var value = loss();
            (value * 3f).backward();
            return (value.item<float>(), c.Values.grad!.data<float>().ToArray(), c.Decoder.grad!.data<float>().ToArray(), bias.grad!.data<float>().ToArray());
        }
        var expected = Run(() => (Dense(c.Indices, c.Values, c.Decoder) + bias - target).square().sum(-1).mean());
        var actual = Run(() => kernels.SquaredError(c.Indices, c.Values, c.Decoder, bias, target));
        AssertClose([actual.Loss], [expected.Loss], "loss");
        AssertClose(actual.Values, expected.Values, "∂/∂values");
        AssertClose(actual.Decoder, expected.Decoder, "∂/∂W_dec");
        AssertClose(actual.Bias, expected.Bias, "∂/∂b_dec");
    }

    [Test]
    public void EmbeddingBagDecoderRefusesAnotherMatrix()
    {
        using var scope = NewDisposeScope();
        var c = Make(2, 1, 3, 2);
        using var bag = new EmbeddingBagDecoder(c.Decoder);
        Assert.Throws<ArgumentException>(() => bag.Decode(c.Indices, c.Values, randn(3, 2)));
    }
}
