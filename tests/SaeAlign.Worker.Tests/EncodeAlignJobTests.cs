using SaeAlign.Alignment;
using SaeAlign.Core;
using SaeAlign.Data;
using SaeAlign.Sae;

namespace SaeAlign.Worker.Tests;

/// <summary>The <c>encode</c> and <c>align</c> job types: their specs, and runs on the in-memory store.</summary>
public class EncodeAlignJobTests
{
    private static TempFolder WithActivations()
    {
        var data = new TempFolder();
        Activations.WriteNpy(data, "acts.npy", rows: 300, columns: 8, seed: 1);
        Activations.WriteNpy(data, "other.npy", rows: 300, columns: 6, seed: 2);
        return data;
    }

    private static string Error(string json)
    {
        using var data = WithActivations();
        Directory.CreateDirectory(Path.Combine(data.Path, "sae"));
        return Assert.Throws<InvalidInputException>(() => InMemoryWorker.Read(data, json))!.Message;
    }

    [Test]
    public async Task AnEncodeJobWritesTheCodesOfATrainedSae()
    {
        using var data = WithActivations();
        var trained = await InMemoryWorker.RunAsync(data, "{\"type\":\"train-sae\",\"activations\":\"acts.npy\",\"dSae\":24,\"k\":3,\"batch\":50,\"out\":\"sae\"}");
        Assert.That(trained.Single().State, Is.EqualTo("Succeeded"), trained.Single().Error);
        string sae = Path.GetRelativePath(data.Path, Directory.GetDirectories(Path.Combine(data.Path, "sae")).Single());

        var status = (await InMemoryWorker.RunAsync(data, $"{{\"type\":\"encode\",\"sae\":\"{sae}\",\"activations\":\"acts.npy\",\"out\":\"codes\"}}")).Single();
        Assert.That(status.State, Is.EqualTo("Succeeded"), status.Error);
        string folder = Directory.GetDirectories(Path.Combine(data.Path, "codes")).Single();
        Assert.That(RunFolder.Read(folder).Manifest.Kind, Is.EqualTo(EncodeJob.Kind));
        var codes = ActivationFile.Read(Path.Combine(folder, EncodeJob.CodesFile));
        var expected = SaeMetrics.Encode(DictionaryFile.Read(Path.Combine(data.Path, sae), InputField.Named("sae")), ActivationFile.Read(Path.Combine(data.Path, "acts.npy")));
        Assert.That((codes.Rows, codes.Columns), Is.EqualTo((300, 24)));
        Assert.That(codes.Values, Is.EqualTo(expected.Values), "the codes `sae encode` computes");
        Assert.That(File.ReadAllText(Path.Combine(folder, JobExecutor.LogFileName)), Does.Contain("Encoded 300 rows into 24 latents"));
    }

    [Test]
    public async Task AnEncodeJobWithTheWrongWidthFailsWithoutRetriesNamingTheFile()
    {
        using var data = WithActivations();
        await InMemoryWorker.RunAsync(data, "{\"type\":\"train-sae\",\"activations\":\"acts.npy\",\"dSae\":16,\"k\":2,\"batch\":50,\"out\":\"sae\"}");
        string sae = Path.GetRelativePath(data.Path, Directory.GetDirectories(Path.Combine(data.Path, "sae")).Single());
        var status = (await InMemoryWorker.RunAsync(data, $"{{\"type\":\"encode\",\"sae\":\"{sae}\",\"activations\":\"other.npy\",\"out\":\"codes\"}}")).Single();
        Assert.That(status.State, Is.EqualTo("Failed"));
        Assert.That(status.Error, Does.Contain("other.npy: 6 columns, but the SAE's d_in is 8"));
        Assert.That(Directory.GetDirectories(Path.Combine(data.Path, "codes")), Is.Empty, "nothing written");
    }

    [Test]
    public async Task AnAlignJobWritesTheReportOfSaealignAlign()
    {
        using var data = WithActivations();
        // The target is the source with its units permuted and scaled: semi-matching and CKA find them all.
        var source = ActivationFile.Read(Path.Combine(data.Path, "acts.npy"));
        var permuted = new float[source.Values.Length];
        for (int r = 0; r < source.Rows; r++)
            for (int c = 0; c < 8; c++)
                permuted[r * 8 + c] = 2f * source.Values[r * 8 + (c + 3) % 8];
        Npy.Write(Path.Combine(data.Path, "permuted.npy"), permuted, source.Rows, 8);

        var status = (await InMemoryWorker.RunAsync(data,
            "{\"type\":\"align\",\"source\":\"acts.npy\",\"target\":\"permuted.npy\",\"metrics\":[\"semi\",\"cka\"],\"cv\":\"kfold:3:7\",\"out\":\"align\"}")).Single();
        Assert.That(status.State, Is.EqualTo("Succeeded"), status.Error);
        string report = Path.Combine(Directory.GetDirectories(Path.Combine(data.Path, "align")).Single(), AlignJob.ReportFile);
        var table = TableParquet.Read(report);
        var metrics = (string[])table.Single(c => c.Name == "metric").Values;
        var folds = (int[])table.Single(c => c.Name == "fold").Values;
        var scores = (double[])table.Single(c => c.Name == "score").Values;
        var sample = (string[])table.Single(c => c.Name == "sample").Values;
        Assert.That(metrics.Where((_, i) => sample[i] == "observed"), Is.EqualTo(new[] { "semi", "semi", "semi", "semi", "cka" }), "semi: the mean and 3 folds; cka has nothing to fit");
        Assert.That(sample.Count(x => x == "null"), Is.EqualTo(2 * 20), "the default 20 null replicates per metric");
        Assert.That(folds[0], Is.EqualTo(-1));
        Assert.That(scores[0], Is.EqualTo(1.0).Within(1e-5));
        Assert.That(scores[Array.FindIndex(metrics, m => m == "cka")], Is.EqualTo(1.0).Within(1e-5));
        var metadata = TableParquet.ReadMetadata(report);
        Assert.That((metadata["saealign.align.source"], metadata["saealign.align.target"], metadata["saealign.align.cv"]),
            Is.EqualTo(("acts.npy", "permuted.npy", "kfold:3:7")), "paths relative to the data root");
    }

    [Test]
    public void AlignDefaultsAreThoseOfTheCommand()
    {
        using var data = WithActivations();
        var plan = InMemoryWorker.Read(data, "{\"type\":\"align\",\"source\":\"acts.npy\",\"target\":\"other.npy\"}").Single();
        Assert.That(plan.Spec["metrics"]!.AsArray().Select(m => m!.GetValue<string>()), Is.EqualTo(AlignmentMetric.Defaults));
        Assert.That(plan.Spec["cv"]!.GetValue<string>(), Is.EqualTo(CrossValidation.Default.ToString()));
        // The hashed fields in the order earlier versions wrote them, then the calibration (a job without nulls is another job).
        Assert.That(plan.Spec.Select(p => p.Key).Where(k => k != "out"),
            Is.EqualTo(new[] { "source", "target", "metrics", "cv", "stimuli", "seed", "k", "nullPermutations", "bootstrap" }));
        Assert.That(plan.Spec["nullPermutations"]!.GetValue<int>(), Is.EqualTo(Calibration.DefaultPermutations));
        var calibrated = InMemoryWorker.Read(data, "{\"type\":\"align\",\"source\":\"acts.npy\",\"target\":\"other.npy\",\"nullPermutations\":0,\"bootstrap\":50}").Single();
        Assert.That((calibrated.Spec["nullPermutations"]!.GetValue<int>(), calibrated.Spec["bootstrap"]!.GetValue<int>()), Is.EqualTo((0, 50)));
        Assert.That(calibrated.ConfigHash, Is.Not.EqualTo(plan.ConfigHash));
        var same = InMemoryWorker.Read(data, "{\"type\":\"align\",\"source\":\"acts.npy\",\"target\":\"other.npy\",\"cv\":\" KFOLD:5:42 \",\"out\":\"x\"}").Single();
        Assert.That(same.ConfigHash, Is.EqualTo(plan.ConfigHash));
        var sweep = InMemoryWorker.Read(data, "{\"type\":\"align\",\"source\":\"acts.npy\",\"target\":\"other.npy\",\"sweep\":{\"cv\":[\"none\",\"kfold:3:1\"],\"metrics\":[[\"semi\"],[\"cka\"]]}}");
        Assert.That(sweep.Select(p => p.ConfigHash).Distinct().Count(), Is.EqualTo(4));
    }

    [TestCase("{\"type\":\"encode\",\"activations\":\"acts.npy\"}", "sae: missing")]
    [TestCase("{\"type\":\"encode\",\"sae\":\"nowhere\",\"activations\":\"acts.npy\"}", "sae: nothing at 'nowhere'")]
    [TestCase("{\"type\":\"encode\",\"sae\":\"../sae\",\"activations\":\"acts.npy\"}", "sae: '../sae' contains '..'")]
    [TestCase("{\"type\":\"encode\",\"sae\":\"sae\"}", "activations: missing")]
    [TestCase("{\"type\":\"encode\",\"sae\":\"sae\",\"activations\":\"notes.txt\"}", "activations: 'notes.txt' must be a .parquet or .npy file")]
    [TestCase("{\"type\":\"encode\",\"sae\":\"sae\",\"activations\":\"acts.npy\",\"k\":3}", "k")]
    [TestCase("{\"type\":\"encode\",\"sae\":\"sae\",\"activations\":\"acts.npy\",\"out\":\"/tmp\"}", "out:")]
    [TestCase("{\"type\":\"align\",\"target\":\"acts.npy\"}", "source: missing")]
    [TestCase("{\"type\":\"align\",\"source\":\"acts.npy\",\"target\":\"gone.npy\"}", "target: no file at 'gone.npy'")]
    [TestCase("{\"type\":\"align\",\"source\":\"/tmp/x.npy\",\"target\":\"acts.npy\"}", "source: '/tmp/x.npy' resolves to")]
    [TestCase("{\"type\":\"align\",\"source\":\"acts.npy\",\"target\":\"acts.npy\",\"metrics\":[\"semi\",\"cosine\"]}", "metrics: unknown metric 'cosine'")]
    [TestCase("{\"type\":\"align\",\"source\":\"acts.npy\",\"target\":\"acts.npy\",\"metrics\":[]}", "metrics must name at least one metric")]
    [TestCase("{\"type\":\"align\",\"source\":\"acts.npy\",\"target\":\"acts.npy\",\"metrics\":[\"triplet\"]}", "metrics: triplet needs odd-one-out judgements, which align jobs do not take; score triplets with the saealign align command")]
    [TestCase("{\"type\":\"align\",\"source\":\"acts.npy\",\"target\":\"acts.npy\",\"metrics\":\"semi\"}", "metrics:")]
    [TestCase("{\"type\":\"align\",\"source\":\"acts.npy\",\"target\":\"acts.npy\",\"cv\":\"kfold:1:0\"}", "cv: 'kfold:1:0' is not 'none' or 'kfold:K:SEED'")]
    [TestCase("{\"type\":\"align\",\"source\":\"acts.npy\",\"target\":\"acts.npy\",\"stimuli\":2}", "stimuli must be at least 3")]
    [TestCase("{\"type\":\"align\",\"source\":\"acts.npy\",\"target\":\"acts.npy\",\"k\":0}", "k must be at least 1")]
    [TestCase("{\"type\":\"align\",\"source\":\"acts.npy\",\"target\":\"acts.npy\",\"seed\":-1}", "seed must be zero or positive")]
    [TestCase("{\"type\":\"align\",\"source\":\"acts.npy\",\"target\":\"acts.npy\",\"report\":\"r.parquet\"}", "report")]
    [TestCase("{\"type\":\"align\",\"source\":\"acts.npy\",\"source\":\"acts.npy\",\"target\":\"acts.npy\"}", "source: the key is given twice")]
    [TestCase("{\"type\":\"align\",\"source\":\"acts.npy\",\"target\":\"acts.npy\",\"k\":\"five\"}", "k: expected an integer")]
    [TestCase("{\"type\":\"align\",\"source\":\"acts.npy\",\"target\":\"acts.npy\",\"stimuli\":[1]}", "stimuli: expected an integer")]
    [TestCase("{\"type\":\"train-sae\",\"activations\":\"acts.npy\",\"dSae\":0}", "dSae must be at least 1, got 0")]
    [TestCase("{\"type\":\"train-sae\",\"activations\":\"acts.npy\",\"steps\":10,\"epochs\":2}", "steps and epochs are exclusive")]
    public void BadFieldsAreRejectedNamingTheField(string json, string expected)
    {
        string error = Error(json);
        Assert.That(error, Does.StartWith("spec.json: ").And.Contain(expected));
        Assert.That(error, Does.Not.Contain("System.").And.Not.Contain("SaeAlign.").And.Not.Contain("--"));
    }
}
