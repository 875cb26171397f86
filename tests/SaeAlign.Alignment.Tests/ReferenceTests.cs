using System.Text.Json;
using SaeAlign.Alignment;
using SaeAlign.Data;

namespace SaeAlign.Alignment.Tests;

/// <summary>
/// Every metric against data/alignment/reference.json, which data/alignment/make_reference.py computes from the
/// rows with numpy/scipy/sklearn independently of this code (1e-6; ridge 1e-4).
/// </summary>
public class ReferenceTests
{
    private static JsonElement reference;
    private static IReadOnlyList<Triplet> triplets = [];

    [OneTimeSetUp]
    public void Load()
    {
        reference = JsonDocument.Parse(File.ReadAllText(TestData.RepoFile("data", "alignment", "reference.json"))).RootElement;
        var t = Npy.Read(TestData.RepoFile("data", "alignment", "triplets.npy"));
        triplets = Enumerable.Range(0, t.Rows).Select(r => new Triplet((int)t[r, 0], (int)t[r, 1], (int)t[r, 2], (int)t[r, 3])).ToArray();
    }

    private static AlignmentReport Run(string cv) => AlignmentRunner.Run(
        new InMemoryPairedRows(Npy.Read(TestData.RepoFile("data", "alignment", "source.npy")), Npy.Read(TestData.RepoFile("data", "alignment", "target.npy"))),
        new AlignmentOptions { Metrics = AlignmentMetric.All, Cv = CrossValidation.Parse(cv), K = reference.GetProperty("mknn_k").GetInt32(), Triplets = triplets });

    [TestCase("none", "cv_none")]
    [TestCase("kfold:3:7", "cv_kfold:3:7")]
    public void FittedMetricsMatchTheReference(string cv, string key)
    {
        var report = Run(cv);
        foreach (var metric in new[] { "semi", "soft", "one-to-one", "ridge", "procrustes", "procrustes-angle" })
        {
            var expected = reference.GetProperty(key).GetProperty(metric);
            var result = report.Metrics.Single(m => m.Metric == metric);
            double tolerance = metric == "ridge" ? 1e-4 : 1e-6;
            Assert.That(result.Score, Is.EqualTo(expected.GetProperty("score").GetDouble()).Within(tolerance), metric);
            var folds = expected.GetProperty("folds").EnumerateArray().Select(e => e.GetDouble()).ToArray();
            Assert.That(result.FoldScores, Is.EqualTo(folds).Within(tolerance), metric);
            if (expected.GetProperty("sem").ValueKind == JsonValueKind.Null) Assert.That(result.Sem, Is.Null, metric);
            else Assert.That(result.Sem, Is.EqualTo(expected.GetProperty("sem").GetDouble()).Within(tolerance), metric);
        }
        var alphas = reference.GetProperty(key).GetProperty("ridge").GetProperty("alphas").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        var ridge = report.Metrics.Single(m => m.Metric == "ridge");
        Assert.That(ridge.Details.Values, Is.EqualTo(alphas));
        Assert.That(report.Cv, Is.EqualTo(cv));
    }

    [Test]
    public void UnfittedMetricsMatchTheReference()
    {
        var report = Run("kfold:3:7");
        foreach (var metric in new[] { "cka", "cka-debiased", "rsa", "rsa-spearman", "mknn", "triplet" })
            Assert.That(report.Score(metric), Is.EqualTo(reference.GetProperty(metric).GetDouble()).Within(1e-6), metric);
        var triplet = report.Metrics.Single(m => m.Metric == "triplet").Details;
        Assert.That(triplet["source_vs_judgements"], Is.EqualTo(reference.GetProperty("triplet_source_vs_judgements").GetDouble()).Within(1e-12));
        Assert.That(triplet["target_vs_judgements"], Is.EqualTo(reference.GetProperty("triplet_target_vs_judgements").GetDouble()).Within(1e-12));
        Assert.That(report.Metrics.Single(m => m.Metric == "rsa").Details["dropped_stimuli"], Is.EqualTo(reference.GetProperty("rsa_dropped_stimuli").GetInt32()));
    }

    [Test]
    public void ConstantUnitsAreDroppedAndReported()
    {
        var report = Run("none");
        Assert.That(report.DroppedSourceUnits, Is.EqualTo(reference.GetProperty("dropped_source").EnumerateArray().Select(e => e.GetString())));
        Assert.That(report.DroppedTargetUnits, Is.EqualTo(reference.GetProperty("dropped_target").EnumerateArray().Select(e => e.GetString())));
    }

    [Test]
    public void FoldsMatchTheScriptsSplitMixShuffle()
    {
        var expected = reference.GetProperty("folds").EnumerateArray().Select(e => (byte)e.GetInt32()).ToArray();
        Assert.That(new CrossValidation(3, 7).Assign(reference.GetProperty("rows").GetInt32()), Is.EqualTo(expected));
    }
}
