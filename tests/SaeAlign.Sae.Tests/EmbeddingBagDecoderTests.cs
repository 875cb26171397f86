using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SaeAlign.Sae.Tests;

/// <summary>The embedding-bag decoder against the dense TorchSharp reference: forward values and gradients within 1e-5 relative.</summary>
public class EmbeddingBagDecoderTests
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
    public void EmbeddingBagMatchesDense(int batch, int k, int dSae, int dIn)
    {
        using var scope = NewDisposeScope();
        var c = Make(batch, k, dSae, dIn);
        using var bag = new EmbeddingBagDecoder(c.Decoder);
        AssertMatchesDense(c, bag.Decode);
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
