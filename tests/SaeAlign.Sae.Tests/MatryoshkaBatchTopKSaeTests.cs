using System.Text.Json.Nodes;
using SaeAlign.Core;
using static TorchSharp.torch;

namespace SaeAlign.Sae.Tests;

/// <summary>Matryoshka BatchTopK: batchtopk's loss plus one reconstruction loss per inner prefix of the dictionary.</summary>
public class MatryoshkaBatchTopKSaeTests
{
    private const int DIn = 6, DSae = 8;

    private static (SaeStep Step, SparseAutoencoder Model) Step(SaeConfig config, Func<Tensor, Tensor>? decoder = null)
    {
        using var generator = new Generator(5);
        var x = randn(32, DIn, generator: generator);
        var wEnc = randn(DIn, DSae, generator: generator);
        var wDec = decoder?.Invoke(randn(DSae, DIn, generator: generator)) ?? randn(DSae, DIn, generator: generator);
        var model = config.Architecture.Build(config, DIn, new SaeTensors(wEnc, wDec, zeros(DSae), randn(DIn, generator: generator) * 0.1, zeros(DSae)));
        return (model.Forward(x, zeros(DSae, dtype: ScalarType.Bool), 0), model);
    }

    [Test]
    public void OneLevelIsBatchTopK()
    {
        using var scope = NewDisposeScope();
        var (matryoshka, a) = Step(new MatryoshkaBatchTopKSaeConfig { DSae = DSae, K = 3, Groups = [DSae] });
        var (batchTopK, b) = Step(new BatchTopKSaeConfig { DSae = DSae, K = 3 });
        using (a) using (b)
        {
            Assert.That(matryoshka.Loss.item<float>(), Is.EqualTo(batchTopK.Loss.item<float>()));
            Assert.That(matryoshka.Terms.Keys, Is.EquivalentTo(new[] { "mse", "auxk" }));
        }
    }

    [Test]
    public void EachInnerPrefixAddsItsOwnReconstructionLoss()
    {
        using var scope = NewDisposeScope();
        var config = new MatryoshkaBatchTopKSaeConfig { DSae = DSae, K = 3, Groups = [2, 5] };
        var (step, model) = Step(config);
        var (batchTopK, other) = Step(new BatchTopKSaeConfig { DSae = DSae, K = 3 });
        using (model) using (other)
        {
            Assert.That(step.Terms.Keys, Is.EquivalentTo(new[] { "mse", "auxk", "mse_2", "mse_5" }));
            float nested = step.Terms["mse_2"].item<float>() + step.Terms["mse_5"].item<float>();
            Assert.That(step.Loss.item<float>(), Is.EqualTo(batchTopK.Loss.item<float>() + nested).Within(1e-4));
        }

        // With the latents past the first two decoding to nothing, every prefix reconstructs as the whole dictionary does.
        var (zeroed, zeroedModel) = Step(config, d => cat([d.narrow(0, 0, 2), zeros(DSae - 2, DIn)]));
        using (zeroedModel)
            Assert.That(zeroed.Terms["mse_2"].item<float>(), Is.EqualTo(zeroed.Terms["mse"].item<float>()).Within(1e-5));
    }

    [Test]
    public void WidthsEndAtTheDictionarysWidth()
    {
        Assert.That(new MatryoshkaBatchTopKSaeConfig { Groups = [128, 512] }.Widths(2048), Is.EqualTo(new[] { 128, 512, 2048 }));
        Assert.That(new MatryoshkaBatchTopKSaeConfig().Widths(8192), Is.EqualTo(new[] { 128, 512, 2048, 8192 }), "by default d_sae/64, /16, /4");
        Assert.That(new MatryoshkaBatchTopKSaeConfig().Widths(8), Is.EqualTo(new[] { 2, 8 }));
    }

    [Test]
    public void GroupsAreReadAsAListAndChecked()
    {
        var config = (MatryoshkaBatchTopKSaeConfig)SaeConfigFields.Read(new JsonObject { ["arch"] = "matryoshka-batchtopk", ["dSae"] = 64, ["groups"] = new JsonArray(4, 16) });
        Assert.That(config, Is.EqualTo(new MatryoshkaBatchTopKSaeConfig { DSae = 64, Groups = [4, 16] }), "equal widths make equal configs");
        Assert.That(SaeConfigFields.Write(config)["groups"]!.ToJsonString(), Is.EqualTo("[4,16]"));
        var error = Assert.Throws<InvalidInputException>(() => (config with { Groups = [16, 4] }).Validate(dIn: 8))!;
        Assert.That(error.Message, Is.EqualTo("groups must be increasing widths between 1 and d_sae = 64, got 16,4."));
        Assert.Throws<InvalidInputException>(() => (config with { Groups = [4, 65] }).Validate(dIn: 8));
    }
}
