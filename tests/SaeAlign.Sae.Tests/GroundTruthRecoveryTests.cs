using System.Text.Json;
using SaeAlign.Core;

namespace SaeAlign.Sae.Tests;

/// <summary>Ground-truth recovery against numpy and scipy (tools/SaeAlign.Bench/python/recovery_reference.py), number by number.</summary>
public class GroundTruthRecoveryTests
{
    private static readonly string Folder = Path.Combine(TestContext.CurrentContext.TestDirectory, "Fixtures", "recovery");

    [Test]
    public void EveryNumberIsWhatNumpyAndScipyGive()
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, "recovery.json")));
        var root = document.RootElement;
        float[] Floats(string name) => root.GetProperty(name).EnumerateArray().Select(e => e.GetSingle()).ToArray();
        double Expected(string name) => root.GetProperty("expected").GetProperty(name).GetDouble();
        int dIn = root.GetProperty("d_in").GetInt32(), dSae = root.GetProperty("d_sae").GetInt32(), n = root.GetProperty("n").GetInt32(), rows = root.GetProperty("rows").GetInt32();
        var dictionary = new SaeDictionary(SaeArchitecture.ReluL1, dIn, dSae, 0, Floats("w_enc"), Floats("w_dec"), Floats("b_enc"), Floats("b_dec"), null, null,
            new Dictionary<string, string>());

        var recovery = GroundTruthRecovery.Measure(dictionary, Floats("directions"), n, new ActivationSet(Floats("x"), rows, dIn), new ActivationSet(Floats("feature_acts"), rows, n));

        Assert.Multiple(() =>
        {
            Assert.That(recovery.Mcc, Is.EqualTo(Expected("mcc")).Within(1e-6));
            Assert.That(recovery.MeanMaxCosine, Is.EqualTo(Expected("mean_max_cosine")).Within(1e-6));
            Assert.That(recovery.Recovered, Is.EqualTo((int)Expected("recovered")));
            Assert.That(recovery.Uniqueness, Is.EqualTo(Expected("uniqueness")).Within(1e-12));
            Assert.That(recovery.ExplainedVariance, Is.EqualTo(Expected("explained_variance")).Within(1e-4));
            Assert.That(recovery.Shrinkage, Is.EqualTo(Expected("shrinkage")).Within(1e-5));
            Assert.That(recovery.L0, Is.EqualTo(Expected("l0")).Within(1e-12));
            Assert.That(recovery.DeadFraction, Is.EqualTo(Expected("dead_fraction")).Within(1e-12));
            var detection = recovery.Detection!;
            Assert.That(detection.Precision, Is.EqualTo(Expected("precision")).Within(1e-9));
            Assert.That(detection.Recall, Is.EqualTo(Expected("recall")).Within(1e-9));
            Assert.That(detection.F1, Is.EqualTo(Expected("f1")).Within(1e-9));
            Assert.That(detection.Accuracy, Is.EqualTo(Expected("accuracy")).Within(1e-9));
            Assert.That(detection.TrueL0, Is.EqualTo(Expected("true_l0")).Within(1e-12));
        });
    }

    [Test]
    public void TrueActivationsOfOtherRowsAreRefusedNamingTheField()
    {
        var dictionary = new SaeDictionary(SaeArchitecture.ReluL1, 2, 2, 0, [1, 0, 0, 1], [1, 0, 0, 1], [0, 0], [0, 0], null, null, new Dictionary<string, string>());
        var error = Assert.Throws<InvalidInputException>(() =>
            GroundTruthRecovery.Measure(dictionary, [1, 0, 0, 1], 2, new ActivationSet([1, 2, 3, 4], 2, 2), new ActivationSet([1, 0, 0], 3, 1)))!;
        Assert.That(error.Message, Is.EqualTo("trueActivations: 3 rows of 1 features, expected 2 rows of the toy model's 2."));
    }
}
