using static TorchSharp.torch;

namespace SaeAlign.Sae.Tests;

/// <summary>A gated SAE and the JumpReLU form dictionaries hold it in.</summary>
public class GatedSaeTests
{
    private const int DIn = 6, DSae = 12;

    private static GatedSae Random(Generator generator)
    {
        var config = new GatedSaeConfig { DSae = DSae };
        // Thresholds b_mag - b_gate exp(r_mag) of both signs, so both cases of the fold are exercised.
        return new GatedSae(config, DIn, randn(DIn, DSae, generator: generator), randn(DSae, DIn, generator: generator), randn(DSae, generator: generator) * 0.3,
            randn(DIn, generator: generator) * 0.1, randn(DSae, generator: generator) * 0.3, randn(DSae, generator: generator) * 0.2);
    }

    [Test]
    public void TheDictionaryEncodesAsTheGatedModelDoes()
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator(3);
        using var model = Random(generator);
        var x = randn(200, DIn, generator: generator);
        var dictionary = SaeDictionary.FromModel(model, 1.0, null);
        Assert.That(dictionary.Threshold!.Min(), Is.GreaterThanOrEqualTo(0f));
        Assert.That((model.BEnc - model.BGate * model.RMag.exp()).min().item<float>(), Is.LessThan(0f), "some latents' gate opens below 0");
        using var folded = dictionary.ToModel();
        var expected = model.Encode(x).detach();
        Assert.That(folded.Encode(x).data<float>().ToArray(), Is.EqualTo(expected.data<float>().ToArray()).Within(1e-5));
        Assert.That(expected.gt(0).any().item<bool>() && expected.eq(0).any().item<bool>(), Is.True, "some codes fire and some do not");
    }

    [Test]
    public void TheGateTrainsThroughTheAuxiliaryLossAndTheMagnitudeThroughTheReconstruction()
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator(4);
        using var model = Random(generator);
        var step = model.Forward(randn(64, DIn, generator: generator), zeros(DSae, dtype: ScalarType.Bool), 0);
        Assert.That(step.Terms.Keys, Is.EquivalentTo(new[] { "mse", "l1", "aux" }));
        step.Terms["mse"].backward();
        Assert.That(model.BGate.grad is null || model.BGate.grad.abs().sum().item<float>() == 0, "the gate's step passes no gradient to b_gate");
        Assert.That(model.BEnc.grad!.abs().sum().item<float>(), Is.GreaterThan(0), "b_mag learns from the reconstruction");
        model.BEnc.grad!.zero_();
        step.Terms["aux"].backward();
        Assert.That(model.BGate.grad!.abs().sum().item<float>(), Is.GreaterThan(0), "b_gate learns from the auxiliary loss");
    }
}
