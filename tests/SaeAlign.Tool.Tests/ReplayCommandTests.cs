using System.Text.Json;
using SaeAlign.Testing;

namespace SaeAlign.Tool.Tests;

public class ReplayCommandTests
{
    /// <summary>Two toy models (same stimuli) and a paper-toy SAE trained on each; returns their paths.</summary>
    private static async Task<(string Source, string Target, string SourceSae, string TargetSae)> TwoModelsWithSaes(string folder, int neurons)
    {
        var toy = Path.Combine(folder, $"toy{neurons}");
        var train = await Cli.Run("toy", "train", "--features", "16", "--neurons", neurons.ToString(), "--steps", "200", "--batch", "256",
            "--eval-rows", "3000", "--seeds", "0,1", "--threads", "1", "--quiet", "--out", toy);
        Assert.That(train.ExitCode, Is.Zero, train.Error);
        var saes = new List<string>();
        foreach (var seed in new[] { 0, 1 })
        {
            var sae = Path.Combine(folder, $"sae{neurons}-{seed}");
            var result = await Cli.Run("sae", "train", "--activations", Path.Combine(toy, $"eval_hidden_seed{seed}.parquet"), "--arch", "paper-toy",
                "--d-sae", "16", "--k", "3", "--batch", "128", "--threads", "1", "--quiet", "--out", sae);
            Assert.That(result.ExitCode, Is.Zero, result.Error);
            saes.Add(sae);
        }
        return (Path.Combine(toy, "eval_hidden_seed0.parquet"), Path.Combine(toy, "eval_hidden_seed1.parquet"), saes[0], saes[1]);
    }

    [Test]
    public async Task ReplaysParquetAndSaeLensDictionariesToTheSameScoresAndWritesTheReport()
    {
        var folder = Cli.TempFolder();
        var (source, target, sourceSae, targetSae) = await TwoModelsWithSaes(folder, 6);
        var report = Path.Combine(folder, "report");

        var viaParquet = await Cli.Run("replay", "--source-acts", source, "--target-acts", target,
            "--source-sae", Path.Combine(sourceSae, "dictionary.parquet"), "--target-sae", Path.Combine(targetSae, "dictionary.parquet"),
            "--metrics", "semi,soft,cka", "--cv", "kfold:3:1", "--threads", "1", "--quiet", "--json", "--out", report);
        Assert.That(viaParquet.ExitCode, Is.Zero, viaParquet.Error);
        using var json = JsonDocument.Parse(viaParquet.Out);
        var summaries = json.RootElement.GetProperty("summaries").EnumerateArray().ToArray();
        Assert.That(summaries, Has.Length.EqualTo(5 * 3), "five comparisons x three metrics");
        Assert.That(summaries.Select(s => (s.GetProperty("metric").GetString(), s.GetProperty("folds").GetInt32())).Distinct(),
            Is.EquivalentTo(new[] { ("semi", 3), ("soft", 3), ("cka", 1) }), "fitted metrics are cross-validated; cka has nothing to fit");
        Assert.That(summaries.Select(s => s.GetProperty("neurons").GetInt32()).Distinct(), Is.EqualTo(new[] { 6 }));
        foreach (var file in new[] { "scores.parquet", "summary.json", "summary.md", "manifest.json" })
            Assert.That(File.Exists(Path.Combine(report, file)), file);
        PngImage.AssertFigure(Path.Combine(report, "alignment_m6.png"), 900, 520);

        // The same SAEs as SAELens folders replay to identical scores; the console table shows every comparison.
        var viaSaeLens = await Cli.Run("replay", "--source-acts", source, "--target-acts", target,
            "--source-sae", Path.Combine(sourceSae, "saelens"), "--target-sae", Path.Combine(targetSae, "saelens"),
            "--metrics", "semi,soft,cka", "--cv", "kfold:3:1", "--threads", "1", "--quiet", "--json");
        Assert.That(viaSaeLens.ExitCode, Is.Zero, viaSaeLens.Error);
        using var json2 = JsonDocument.Parse(viaSaeLens.Out);
        Assert.That(json2.RootElement.GetProperty("summaries").ToString(), Is.EqualTo(json.RootElement.GetProperty("summaries").ToString()));

        var table = await Cli.Run("replay", "--source-acts", source, "--target-acts", target, "--source-sae", sourceSae, "--target-sae", targetSae,
            "--metrics", "semi", "--threads", "1", "--quiet");
        Assert.That(table.ExitCode, Is.Zero, table.Error);
        Assert.That(table.Out, Does.Contain("neuron->neuron").And.Contain("sae->sae").And.Contain("random-sae->random-sae").And.Contain("change"));
    }

    [Test]
    public async Task DictionaryOfAnotherWidthOrMissingFileIsBadInputAndWritesNothing()
    {
        var folder = Cli.TempFolder();
        var (source, target, sourceSae, _) = await TwoModelsWithSaes(folder, 6);
        var (_, _, otherSae, _) = await TwoModelsWithSaes(folder, 4);
        var report = Path.Combine(folder, "report");

        var mismatch = await Cli.Run("replay", "--source-acts", source, "--target-acts", target, "--source-sae", sourceSae, "--target-sae", otherSae,
            "--threads", "1", "--quiet", "--out", report);
        Assert.That(mismatch.ExitCode, Is.EqualTo(2));
        Assert.That(mismatch.Error, Does.Contain(otherSae).And.Contain("d_in is 4").And.Contain("6 units"));
        Assert.That(Directory.Exists(report), Is.False, "nothing half-written");

        var missing = Path.Combine(folder, "nope.parquet");
        var absent = await Cli.Run("replay", "--source-acts", missing, "--target-acts", target, "--source-sae", sourceSae, "--target-sae", sourceSae,
            "--threads", "1", "--quiet", "--out", report);
        Assert.That(absent.ExitCode, Is.EqualTo(2));
        Assert.That(absent.Error, Does.Contain(missing));
        Assert.That(Directory.Exists(report), Is.False);
    }
}
