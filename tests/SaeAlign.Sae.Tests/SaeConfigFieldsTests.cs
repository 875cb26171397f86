using System.Text.Json;
using System.Text.Json.Nodes;
using SaeAlign.Core;

namespace SaeAlign.Sae.Tests;

/// <summary>Configs as the fields of options, job specs and pipeline specs: each architecture reads its own.</summary>
public class SaeConfigFieldsTests
{
    private static SaeConfig Read(string json, bool earlierNames = false) => SaeConfigFields.Read(JsonNode.Parse(json)!.AsObject(), earlierNames);

    private static string Error(string json, bool earlierNames = false) => Assert.Throws<InvalidInputException>(() => Read(json, earlierNames))!.Message;

    [TestCaseSource(nameof(Architectures))]
    public void EveryArchitecturesDefaultsRoundTripThroughItsFields(SaeArchitecture architecture)
    {
        var config = architecture.Shaped(96, 5) with { Seed = 7, Steps = 40, Epochs = null };
        var fields = SaeConfigFields.Write(config);
        Assert.That(fields.First().Key, Is.EqualTo("architecture"));
        Assert.That(fields["architecture"]!.GetValue<string>(), Is.EqualTo(architecture.Name));
        Assert.That(fields.ContainsKey("epochs"), Is.False, "steps, when set, is the training length");
        Assert.That(SaeConfigFields.Read(fields), Is.EqualTo(config));
        Assert.That(JsonSerializer.Deserialize<SaeConfig>(JsonSerializer.Serialize(config, SaeConfig.Json), SaeConfig.Json), Is.EqualTo(config));
    }

    [Test]
    public void AFieldNotGivenTakesTheArchitecturesDefault()
    {
        var paperToy = (PaperToySaeConfig)Read("""{"architecture": "paper-toy", "k": 3}""");
        Assert.That((paperToy.K, paperToy.DSae, paperToy.Batch, paperToy.LearningRate), Is.EqualTo((3, (int?)64, 1024, 1e-3)));
        var jumpRelu = (JumpReluSaeConfig)Read("""{"arch": "jumprelu", "bandwidth": 0.2}""");
        Assert.That((jumpRelu.Bandwidth, jumpRelu.InitThreshold, jumpRelu.UnitNormDecoder), Is.EqualTo((0.2, 0.01, false)));
        Assert.That(Read("{}"), Is.EqualTo(new TopKSaeConfig()), "no architecture is topk, as in sae train");
    }

    [Test]
    public void ASettingOfAnotherArchitectureIsRefusedNamingTheArchitecturesThatHaveIt()
    {
        Assert.That(Error("""{"architecture": "topk", "l1Coefficient": 2}"""),
            Is.EqualTo("l1Coefficient is a setting of relu-l1, gated; a topk SAE has no such setting."));
        Assert.That(Error("""{"architecture": "relu-l1", "k": 8}"""),
            Is.EqualTo("k is a setting of topk, batchtopk, paper-toy, matryoshka-batchtopk; a relu-l1 SAE has no such setting."));
        Assert.That(Error("""{"architecture": "topk", "kk": 8}"""), Is.EqualTo("kk: unknown field."));
    }

    [Test]
    public void ValuesOfTheWrongKindNameTheirField()
    {
        Assert.That(Error("""{"k": "many"}"""), Is.EqualTo("k: expected an integer, got \"many\"."));
        Assert.That(Error("""{"bDecInit": "median"}"""), Does.StartWith("bDecInit: expected one of zeros, mean, geometric-median"));
        Assert.That(Error("""{"batch": null}"""), Is.EqualTo("batch: expected an integer, got null."));
        Assert.That(Error("""{"arch": "mlp"}"""), Does.StartWith("arch: unknown architecture 'mlp'"));
        Assert.That(Error("""{"steps": 10, "epochs": 2}"""), Does.StartWith("steps and epochs are exclusive"));
    }

    [Test]
    public void ConfigFilesWrittenWithTheEarlierLongerNamesStillRead()
    {
        Assert.That(Read("""{"architecture": "paper-toy", "learningRate": 0.01, "auxKCoefficient": 0.2, "decoderBiasInit": "mean"}""", earlierNames: true),
            Is.EqualTo(new PaperToySaeConfig { LearningRate = 0.01, AuxKCoefficient = 0.2, DecoderBiasInit = DecoderBiasInit.Mean }));
        Assert.That(Read("""{"architecture": "jumprelu", "jumpReluBandwidth": 0.1, "jumpReluInitThreshold": 0.3}""", earlierNames: true),
            Is.EqualTo(new JumpReluSaeConfig { Bandwidth = 0.1, InitThreshold = 0.3 }));
        Assert.That(Read("""{"architecture": "batchtopk", "thresholdEmaRate": 0.5}""", earlierNames: true), Is.EqualTo(new BatchTopKSaeConfig { ThresholdEmaRate = 0.5 }));
        Assert.That(JsonSerializer.Deserialize<SaeConfig>("""{"architecture": "topk", "learningRate": 0.01}""", SaeConfig.Json), Is.EqualTo(new TopKSaeConfig { LearningRate = 0.01 }));
        Assert.That(Error("""{"lr": 0.01, "learningRate": 0.02}""", earlierNames: true), Is.EqualTo("lr and learningRate are the same setting; give it once."));
        Assert.That(Error("""{"learningRate": 0.01}"""), Is.EqualTo("learningRate: unknown field."), "options and job specs never had those names");
    }

    [Test]
    public void EverySettingIsListedOnceWithTheArchitecturesThatHaveIt()
    {
        var fields = SaeConfigFields.All;
        Assert.That(fields.Select(f => f.Name), Is.Unique);
        Assert.That(fields.All(f => f.Description.Length > 0));
        Assert.That(fields[0].Name, Is.EqualTo("dSae"), "the shared settings come first");
        Assert.That(fields.Single(f => f.Name == "k").Architectures, Is.EqualTo(new[] { SaeArchitecture.TopK, SaeArchitecture.BatchTopK, SaeArchitecture.PaperToy, SaeArchitecture.MatryoshkaBatchTopK }));
        Assert.That(fields.Single(f => f.Name == "batch").Architectures, Is.EqualTo(SaeArchitecture.All));
        Assert.That(fields.Single(f => f.Name == "k").DefaultOf(SaeArchitecture.PaperToy), Is.EqualTo(7));
        Assert.That(fields.Single(f => f.Name == "dSae").DefaultOf(SaeArchitecture.TopK), Is.Null, "8 x d_in");
    }

    [Test]
    public void ASpecErrorPointsAtTheConfigAndNamesTheField()
    {
        var error = Assert.Throws<JsonException>(() =>
            JsonSerializer.Deserialize<Dictionary<string, SaeConfig>>("{\n  \"sae\": {\"architecture\": \"topk\", \"batch\": \"x\"}\n}", SaeConfig.Json))!;
        Assert.That(error.Path, Is.EqualTo("$.sae"));
        Assert.That(JsonInputError.Describe(error), Does.StartWith("sae: batch: expected an integer, got \"x\"").And.Contain("line 2"));
    }

    [Test]
    public void AConfigWrittenByTheEarlierFlatRecordReadsAsItWasMeant()
    {
        // Every architecture's fields, 0 for "8 x d_in" and "by epochs", the longer names: what configs held before.
        const string flat = """
            {"architecture":"topk","dSae":0,"k":6,"seed":3,"batch":512,"epochs":2,"steps":0,"trainFraction":1,"shuffle":true,"learningRate":0.003,
             "weightDecay":0,"lrWarmupSteps":0,"lrDecaySteps":0,"l1Coefficient":1,"l1WarmupSteps":0,"l0Coefficient":1,"jumpReluBandwidth":0.05,
             "jumpReluInitThreshold":0.01,"auxKCoefficient":0.03125,"auxK":0,"deadWindow":50,"thresholdEmaRate":0.01,"decoderBiasInit":"geometric-median",
             "normalizeInput":true,"unitNormDecoder":true}
            """;
        Assert.That(Read(flat, earlierNames: true), Is.EqualTo(new TopKSaeConfig { K = 6, Seed = 3, Batch = 512, Epochs = 2, LearningRate = 0.003 }));
        Assert.That(JsonSerializer.Deserialize<SaeConfig>(flat, SaeConfig.Json), Is.EqualTo(new TopKSaeConfig { K = 6, Seed = 3, Batch = 512, Epochs = 2, LearningRate = 0.003 }));
        Assert.That(Error("""{"architecture": "topk", "l1Coefficient": 1}"""), Does.StartWith("l1Coefficient is a setting of"), "a user's own fields stay strict");
    }

    private static IEnumerable<SaeArchitecture> Architectures() => SaeArchitecture.All;
}
