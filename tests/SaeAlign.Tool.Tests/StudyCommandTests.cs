using System.Text.Json;
using SaeAlign.Core;
using SaeAlign.Testing;

namespace SaeAlign.Tool.Tests;

public class StudyCommandTests
{
    [Test]
    public async Task TripletStudyJsonHasPerfectAgreementWithoutNoise()
    {
        var folder = Cli.TempFolder();
        var result = await Cli.Run("study", "triplets", "--out", folder, "--noise", "0,2", "--resamples", "50", "--quiet", "--json");
        Assert.That(result.ExitCode, Is.EqualTo(ExitCodes.Success), result.Error);
        var json = JsonDocument.Parse(result.Out).RootElement;
        var rows = json.GetProperty("rows").EnumerateArray().ToArray();
        Assert.That(rows, Has.Length.EqualTo(6));
        var truth = rows.Where(r => r.GetProperty("representation").GetString() == "truth").Select(r => r.GetProperty("score").GetDouble()).ToArray();
        Assert.That(truth[0], Is.EqualTo(1));
        Assert.That(truth[1], Is.LessThan(1));
        PngImage.AssertFigure(Path.Combine(folder, "triplet_agreement.png"), 900, 520);
        Assert.That(json.GetProperty("summary").GetProperty("truth.score.first").GetDouble(), Is.EqualTo(1));
    }

    [Test]
    public async Task TableOutputListsTheRunFolder()
    {
        var folder = Cli.TempFolder();
        var result = await Cli.Run("study", "triplets", "--out", folder, "--noise", "0", "--resamples", "20", "--quiet");
        Assert.That(result.ExitCode, Is.EqualTo(ExitCodes.Success), result.Error);
        Assert.That(result.Out, Does.Contain("representation").And.Contain("perturbed").And.Contain("results.parquet").And.Contain(folder));
    }

    [Test]
    public async Task BadTripletFileIsExitCodeTwoNamingFileAndLine()
    {
        var folder = Cli.TempFolder();
        Directory.CreateDirectory(folder);
        var embedding = Path.Combine(folder, "e.npy");
        SaeAlign.Data.Npy.Write(embedding, new float[8], 4, 2);
        var triplets = Path.Combine(folder, "t.csv");
        File.WriteAllText(triplets, "i,j,k,odd\n0,1,7,0\n");
        var result = await Cli.Run("study", "triplets", "--embedding", embedding, "--triplets", triplets, "--out", Path.Combine(folder, "out"), "--quiet");
        Assert.That(result.ExitCode, Is.EqualTo(ExitCodes.InvalidInput));
        Assert.That(result.Error, Does.Contain("t.csv: line 2, column 'k': 7"));
        Assert.That(Directory.Exists(Path.Combine(folder, "out")), Is.False);
    }

    [Test]
    public async Task SnrStudyJsonHasOneRowPerSweepPointModelAndMetric()
    {
        var folder = Cli.TempFolder();
        var result = await Cli.Run("study", "snr", "--snr", "0.1,10", "--sizes", "8,16,32", "--no-mlp", "--out", folder, "--quiet", "--json", "--threads", "1");
        Assert.That(result.ExitCode, Is.EqualTo(ExitCodes.Success), result.Error);
        var json = JsonDocument.Parse(result.Out).RootElement;
        // 5 points; linear-gd: cka, ridge, semi, test_error; linear-min-norm: cka, test_error.
        Assert.That(json.GetProperty("rows").GetArrayLength(), Is.EqualTo(5 * 6));
        var cka = json.GetProperty("rows").EnumerateArray()
            .Where(r => r.GetProperty("sweep").GetString() == "snr" && r.GetProperty("model").GetString() == "linear-gd" && r.GetProperty("metric").GetString() == "cka")
            .Select(r => r.GetProperty("mean").GetDouble()).ToArray();
        Assert.That(cka[1], Is.GreaterThan(cka[0]));
        Assert.That(json.GetProperty("summary").GetProperty("linear.interpolation_threshold").GetDouble(), Is.EqualTo(16));
        PngImage.AssertFigure(Path.Combine(folder, "alignment_vs_n.png"), 900, 520);
    }

    [Test]
    public async Task AlignReadsCsvTripletsAndNamesTheBadLine()
    {
        var folder = Cli.TempFolder();
        Directory.CreateDirectory(folder);
        var x = Path.Combine(folder, "x.npy");
        SaeAlign.Data.Npy.Write(x, [1, 0, 0, 1, 1, 0.1f, 0.9f, 0.2f], 4, 2);
        var csv = Path.Combine(folder, "t.csv");
        File.WriteAllText(csv, "i,j,k,odd\n0,1,2,1\n1,2,3,1\n");
        var result = await Cli.Run("align", "--source", x, "--target", x, "--metrics", "triplet", "--triplets", csv, "--cv", "none", "--quiet", "--json");
        Assert.That(result.ExitCode, Is.EqualTo(ExitCodes.Success), result.Error);
        var metric = JsonDocument.Parse(result.Out).RootElement.GetProperty("result").GetProperty("metrics")[0];
        Assert.That(metric.GetProperty("details").GetProperty("source_vs_judgements").GetDouble(), Is.EqualTo(1));

        File.WriteAllText(csv, "i,j,k,odd\n0,1,2,1\n1;2;3;1\n");
        result = await Cli.Run("align", "--source", x, "--target", x, "--metrics", "triplet", "--triplets", csv, "--quiet");
        Assert.That(result.ExitCode, Is.EqualTo(ExitCodes.InvalidInput));
        Assert.That(result.Error, Does.Contain("t.csv: line 3: 1 fields, but the header has 4"));
    }

    [TestCase("nope", "unknown study 'nope'")]
    [TestCase("triplets --noise 0,-1", "--noise: -1")]
    [TestCase("triplets --noise 0,abc", "--noise: 'abc'")]
    [TestCase("triplets --similarity euclid", "--similarity: unknown value 'euclid'")]
    [TestCase("snr --snr 1,-2", "--snr: -2 is not a signal-to-noise ratio")]
    [TestCase("snr --sizes 8,0", "--sizes: 0 is not a training-set size")]
    [TestCase("snr --sizes 8,2.5", "--sizes: '2.5' is not an integer")]
    [TestCase("snr --mlp-sizes 0", "--mlp-sizes: 0 is not a training-set size")]
    [TestCase("capacity --widths 0,8", "--widths: 0 is not a width")]
    [TestCase("capacity --sae-widths 16,0", "--sae-widths: 0 is not a latent count")]
    public async Task BadOptionsAreExitCodeTwo(string args, string message)
    {
        var result = await Cli.Run(["study", .. args.Split(' '), "--out", Cli.TempFolder(), "--quiet"]);
        Assert.That(result.ExitCode, Is.EqualTo(ExitCodes.InvalidInput));
        Assert.That(result.Error, Does.Contain(message));
    }
}
