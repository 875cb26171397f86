using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SaeAlign.Sae.Tests;

/// <summary>
/// A whole TopK training step on the sparse path (sparse decode + the encoder gradient of the selected latents only)
/// against the dense autograd reference: the same loss, and the same gradients for W_enc, b_enc, W_dec and b_dec,
/// with AuxK active (some latents marked dead).
/// </summary>
public class TopKSparseStepTests
{
    private static readonly object[] Shapes =
    [
        new object[] { 8, 1, 6, 4 },     // k = 1
        new object[] { 5, 12, 12, 3 },   // k = d_sae
        new object[] { 32, 4, 48, 10 },
    ];

    private static (float Loss, float[][] Gradients) Step(int batch, int k, int dSae, int dIn, bool sparse)
    {
        var config = new TopKSaeConfig { DSae = dSae, K = k, AuxK = Math.Max(1, dSae / 3), Seed = 3 };
        using var generator = new Generator(17);
        var x = randn(batch, dIn, generator: generator);
        using var model = (TopKSae)config.Architecture.Create(config, dIn, randn(dIn, generator: generator) * 0.1);
        using var decoder = sparse ? new EmbeddingBagDecoder(model.WDec) : null;
        model.SparseDecoder = decoder is null ? null : decoder.Decode;
        var dead = arange(dSae).remainder(3).eq(0);
        var step = model.Forward(x, dead, 0);
        step.Loss.backward();
        return (step.Loss.item<float>(), model.Parameters.Select(p => p.Parameter.grad!.data<float>().ToArray()).ToArray());
    }

    private static void AssertSame((float Loss, float[][] Gradients) actual, (float Loss, float[][] Gradients) expected)
    {
        // The paths sum the same float32 terms in different orders, and each CPU kernel set orders them its own way:
        // a few ulps (about 1e-7 relative) each. 1e-5 relative, as for the gradients, is far below any real error.
        Assert.That(actual.Loss, Is.EqualTo(expected.Loss).Within(1e-3).Percent);
        string[] names = ["W_enc", "W_dec", "b_enc", "b_dec"];
        for (int p = 0; p < names.Length; p++)
        {
            double scale = Math.Max(1e-6, expected.Gradients[p].Max(v => Math.Abs((double)v)));
            for (int i = 0; i < expected.Gradients[p].Length; i++)
                Assert.That(Math.Abs(actual.Gradients[p][i] - expected.Gradients[p][i]) / scale, Is.LessThan(1e-5),
                    $"∂/∂{names[p]}[{i}]: {actual.Gradients[p][i]} vs {expected.Gradients[p][i]}");
        }
    }

    [TestCaseSource(nameof(Shapes))]
    public void EmbeddingBagPathMatchesDense(int batch, int k, int dSae, int dIn)
    {
        using var scope = NewDisposeScope();
        AssertSame(Step(batch, k, dSae, dIn, sparse: true), Step(batch, k, dSae, dIn, sparse: false));
    }
}
