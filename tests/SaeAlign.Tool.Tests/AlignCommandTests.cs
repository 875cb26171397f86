using System.Text.Json;
using SaeAlign.Core;
using SaeAlign.Data;
using SaeAlign.Testing;

namespace SaeAlign.Tool.Tests;

public class AlignCommandTests
{
    private static string Repo(params string[] parts) => Repository.File(parts);

    private static readonly string SourceNpy = Repo("data", "alignment", "source.npy");
    private static readonly string TargetNpy = Repo("data", "alignment", "target.npy");

    private static JsonElement Reference => JsonDocument.Parse(File.ReadAllText(Repo("data", "alignment", "reference.json"))).RootElement;

    private static double Score(JsonElement json, string metric) => Metric(json, metric).GetProperty("score").GetDouble();

    private static JsonElement Metric(JsonElement json, string metric) =>
        json.GetProperty("result").GetProperty("metrics").EnumerateArray().Single(m => m.GetProperty("metric").GetString() == metric);

    /// <summary>The reference pair as Parquet files with stimulus ids 1000, 1001, ...</summary>
    private static (string Source, string Target) ParquetPair(string folder, Func<long, long>? targetIds = null)
    {
        Directory.CreateDirectory(folder);
        var x = Npy.Read(SourceNpy);
        var y = Npy.Read(TargetNpy);
        var ids = Enumerable.Range(0, x.Rows).Select(r => 1000L + r).ToArray();
        string source = Path.Combine(folder, "source.parquet"), target = Path.Combine(folder, "target.parquet");
        ActivationParquet.Write(source, new ActivationSet(x.Values, x.Rows, x.Columns, ids));
        ActivationParquet.Write(target, new ActivationSet(y.Values, y.Rows, y.Columns, ids.Select(targetIds ?? (i => i)).ToArray()), ActivationLayout.Sparse);
        return (source, target);
    }

    [Test]
    public async Task JsonOnNpyMatchesTheReferenceVectors()
    {
        var result = await Cli.Run("align", "--source", SourceNpy, "--target", TargetNpy, "--cv", "none", "--k", "5", "--quiet", "--json",
            "--metrics", "semi,soft,one-to-one,ridge,cka,rsa,procrustes,mknn");
        Assert.That(result.ExitCode, Is.EqualTo(0), result.Error);
        var json = JsonDocument.Parse(result.Out).RootElement;
        var reference = Reference;
        foreach (var metric in new[] { "semi", "soft", "one-to-one", "procrustes" })
            Assert.That(Score(json, metric), Is.EqualTo(reference.GetProperty("cv_none").GetProperty(metric).GetProperty("score").GetDouble()).Within(1e-6), metric);
        Assert.That(Score(json, "ridge"), Is.EqualTo(reference.GetProperty("cv_none").GetProperty("ridge").GetProperty("score").GetDouble()).Within(1e-4));
        foreach (var metric in new[] { "cka", "rsa", "mknn" })
            Assert.That(Score(json, metric), Is.EqualTo(reference.GetProperty(metric).GetDouble()).Within(1e-6), metric);
        Assert.That(json.GetProperty("result").GetProperty("droppedSourceUnits")[0].GetString(), Is.EqualTo("u0003"));
    }

    [Test]
    public async Task ParquetInputsGiveTheSameScoresAsNpyWithCrossValidation()
    {
        var folder = Cli.TempFolder();
        var (source, target) = ParquetPair(folder);
        var report = Path.Combine(folder, "report.parquet");
        var fromParquet = await Cli.Run("align", "--source", source, "--target", target, "--cv", "kfold:3:7", "--metrics", "semi,soft,ridge", "--report", report, "--quiet", "--json");
        var fromNpy = await Cli.Run("align", "--source", SourceNpy, "--target", TargetNpy, "--cv", "kfold:3:7", "--metrics", "semi,soft,ridge", "--quiet", "--json");
        Assert.That(fromParquet.ExitCode, Is.EqualTo(0), fromParquet.Error);
        var a = JsonDocument.Parse(fromParquet.Out).RootElement;
        var b = JsonDocument.Parse(fromNpy.Out).RootElement;
        var reference = Reference.GetProperty("cv_kfold:3:7");
        foreach (var metric in new[] { "semi", "soft" })
        {
            // The target file is in the sparse layout, so the Parquet pair takes the sparse route: equal to rounding.
            Assert.That(Score(a, metric), Is.EqualTo(Score(b, metric)).Within(1e-12));
            Assert.That(Score(a, metric), Is.EqualTo(reference.GetProperty(metric).GetProperty("score").GetDouble()).Within(1e-6));
        }

        var table = TableParquet.Read(report);
        var metrics = (string[])table.Single(c => c.Name == "metric").Values;
        var folds = (int[])table.Single(c => c.Name == "fold").Values;
        var scores = (double[])table.Single(c => c.Name == "score").Values;
        var sample = (string[])table.Single(c => c.Name == "sample").Values;
        Assert.That(metrics, Has.Length.EqualTo(3 * (4 + 20)), "per metric: the fold mean, three folds and the default 20 null replicates");
        int semiMean = Enumerable.Range(0, metrics.Length).Single(i => metrics[i] == "semi" && folds[i] == -1 && sample[i] == "observed");
        Assert.That(scores[semiMean], Is.EqualTo(Score(a, "semi")));
        var semiNulls = Enumerable.Range(0, metrics.Length).Where(i => metrics[i] == "semi" && sample[i] == "null").Select(i => scores[i]).ToArray();
        var jsonNulls = Metric(a, "semi").GetProperty("nullScores").EnumerateArray().Select(x => x.GetDouble()).ToArray();
        Assert.That(semiNulls, Is.EqualTo(jsonNulls));
        // The sparse route (Parquet codes) and the dense one (.npy) calibrate alike.
        Assert.That(jsonNulls, Is.EqualTo(Metric(b, "semi").GetProperty("nullScores").EnumerateArray().Select(x => x.GetDouble())).Within(1e-9));
        Assert.That(Metric(a, "semi").GetProperty("calibration").GetProperty("pValue").GetDouble(), Is.InRange(1.0 / 21, 1));
        Assert.That(TableParquet.ReadMetadata(report)["saealign.align.cv"], Is.EqualTo("kfold:3:7"));
    }

    [Test]
    public async Task TableOutputListsEveryMetricAndTheDroppedUnits()
    {
        var result = await Cli.Run("align", "--source", SourceNpy, "--target", TargetNpy, "--metrics", "semi,cka", "--quiet");
        Assert.That(result.ExitCode, Is.EqualTo(0), result.Error);
        Assert.That(result.Out, Does.Contain("semi").And.Contain("kfold:5:42").And.Contain("cka").And.Contain("u0003").And.Contain("u0004"));
    }

    [Test]
    public async Task MismatchedStimulusIdsExitTwoNamingTheRow()
    {
        var (source, target) = ParquetPair(Cli.TempFolder(), id => id == 1005 ? 7 : id);
        var result = await Cli.Run("align", "--source", source, "--target", target, "--metrics", "semi");
        Assert.That(result.ExitCode, Is.EqualTo(2), result.Error);
        Assert.That(result.Error, Does.Contain("row 5").And.Contain("stimulus 1005"));
        Assert.That(result.Out, Is.Empty);
    }

    [Test]
    public async Task DifferentRowCountsExitTwo()
    {
        var folder = Cli.TempFolder();
        Directory.CreateDirectory(folder);
        var shorter = Path.Combine(folder, "short.npy");
        var y = Npy.Read(TargetNpy);
        Npy.Write(shorter, y.Values[..(100 * y.Columns)], 100, y.Columns);
        var result = await Cli.Run("align", "--source", SourceNpy, "--target", shorter);
        Assert.That(result.ExitCode, Is.EqualTo(2));
        Assert.That(result.Error, Does.Contain("120 rows").And.Contain("short.npy"));
    }

    [Test]
    public async Task NonFiniteValueExitsTwoNamingFileRowAndColumn()
    {
        var folder = Cli.TempFolder();
        Directory.CreateDirectory(folder);
        var bad = Path.Combine(folder, "bad.npy");
        var y = Npy.Read(TargetNpy);
        var values = (float[])y.Values.Clone();
        values[9 * y.Columns + 2] = float.PositiveInfinity;
        Npy.Write(bad, values, y.Rows, y.Columns);
        var report = Path.Combine(folder, "report.parquet");
        var result = await Cli.Run("align", "--source", SourceNpy, "--target", bad, "--report", report);
        Assert.That(result.ExitCode, Is.EqualTo(2));
        Assert.That(result.Error, Does.Contain("bad.npy").And.Contain("row 9").And.Contain("column 2"));
        Assert.That(File.Exists(report), Is.False);
    }

    [Test]
    public async Task MalformedNpyHeaderExitsTwo()
    {
        var folder = Cli.TempFolder();
        Directory.CreateDirectory(folder);
        var bad = Path.Combine(folder, "bad.npy");
        File.WriteAllBytes(bad, [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0, 4, 0, (byte)'{', (byte)'x', (byte)'}', (byte)'\n']);
        var result = await Cli.Run("align", "--source", bad, "--target", TargetNpy);
        Assert.That(result.ExitCode, Is.EqualTo(2));
        Assert.That(result.Error, Does.Contain("bad.npy").And.Contain("header"));
    }

    [TestCase("--metrics", "semi,cca", "'cca'")]
    [TestCase("--cv", "kfold:1:0", "--cv")]
    [TestCase("--cv", "kfold:500:0", "120 rows")]
    [TestCase("--stimuli", "2", "--stimuli")]
    [TestCase("--k", "200", "--k")]
    [TestCase("--report", "out.csv", "--report")]
    public async Task BadOptionsExitTwoNamingThem(string option, string value, string named)
    {
        var result = await Cli.Run("align", "--source", SourceNpy, "--target", TargetNpy, option, value);
        Assert.That(result.ExitCode, Is.EqualTo(2), result.Error);
        Assert.That(result.Error, Does.Contain(named));
    }
}
