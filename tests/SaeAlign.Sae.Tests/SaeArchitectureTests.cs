using System.Text.Json;
using SaeAlign.Core;
using static TorchSharp.torch;

namespace SaeAlign.Sae.Tests;

/// <summary>The architecture registry: names, refusals, and facts that agree with the models they describe.</summary>
public class SaeArchitectureTests
{
    [Test]
    public void AnUnknownNameIsRefusedInOneLineNamingItAndTheKnownOnes()
    {
        var error = Assert.Throws<InvalidInputException>(() => SaeArchitecture.Get("transcoder", InputField.Named("arch")))!;
        Assert.That(error.Message, Does.StartWith("arch: unknown architecture 'transcoder'."));
        Assert.That(error.Message, Does.Not.Contain('\n'));
        foreach (var name in SaeArchitecture.Names) Assert.That(error.Message, Does.Contain(name));
    }

    [Test]
    public void NoTwoArchitecturesShareAName()
    {
        Assert.That(SaeArchitecture.Names, Is.Unique);
        Assert.That(SaeArchitecture.Names, Is.EqualTo(new[] { "relu-l1", "topk", "batchtopk", "jumprelu", "paper-toy", "matryoshka-batchtopk", "gated" }));
    }

    [TestCaseSource(nameof(Architectures))]
    public void ANameFindsItsArchitectureInAnyCase(SaeArchitecture architecture)
    {
        Assert.That(SaeArchitecture.Get(architecture.Name, "test"), Is.SameAs(architecture));
        Assert.That(SaeArchitecture.Get($" {architecture.Name.ToUpperInvariant()} ", "test"), Is.SameAs(architecture));
    }

    [TestCaseSource(nameof(Architectures))]
    public void AConfigRoundTripsThroughJsonUnderTheArchitecturesName(SaeArchitecture architecture)
    {
        var config = architecture.Defaults;
        string json = JsonSerializer.Serialize(config, SaeConfig.Json);
        Assert.That(json, Does.Contain($"\"architecture\": \"{architecture.Name}\""));
        Assert.That(JsonSerializer.Deserialize<SaeConfig>(json, SaeConfig.Json), Is.EqualTo(config));
    }

    [Test]
    public void AConfigWithAnUnknownArchitectureIsRefusedNamingIt()
    {
        var error = Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<SaeConfig>("{\"architecture\": \"transcoder\"}", SaeConfig.Json))!;
        Assert.That(error.Message, Does.Contain("'transcoder'").And.Contain("topk"));
        Assert.That(JsonInputError.Describe(error), Does.Contain("architecture: unknown architecture 'transcoder'"), "the message names the field");
    }

    [TestCaseSource(nameof(Architectures))]
    public void TheFactsAgreeWithTheModelTheArchitectureBuilds(SaeArchitecture architecture)
    {
        using var scope = NewDisposeScope();
        var config = architecture.Shaped(8, 2);
        using var model = architecture.Create(config, 4, zeros(4));
        Assert.That(model.Config.Architecture, Is.SameAs(architecture));
        Assert.That(model.Threshold is not null, Is.EqualTo(architecture.HasThreshold));
        Assert.That(model.SubtractsDecoderBias, Is.EqualTo(architecture.SubtractsDecoderBias));
        Assert.That(architecture.Defaults.Architecture, Is.SameAs(architecture));
    }

    private static IEnumerable<SaeArchitecture> Architectures() => SaeArchitecture.All;
}
