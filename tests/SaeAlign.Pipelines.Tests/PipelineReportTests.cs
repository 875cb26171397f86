using System.Text.Json;
using SaeAlign.Data;
using SaeAlign.Sae;
using SaeAlign.Testing;
using SaeAlign.ToyModels;

namespace SaeAlign.Pipelines.Tests;

public class PipelineReportTests
{
    /// <summary>The report's four figures for width <paramref name="m"/> decode at the sizes ReportPlots draws them and are not blank.</summary>
    internal static void AssertFigures(string folder, int m)
    {
        // Bars and curves are 900 x 520 pixels; the heatmap and the recovery scatter 680 x 520 (room for a square plot).
        foreach (var (name, width) in new[] { ("alignment", 900), ("geometry", 680), ("sae_curves", 900), ("feature_recovery", 680), ("sae_stability", 900) })
            PngImage.AssertFigure(Path.Combine(folder, $"{name}_m{m}.png"), width, 520);
    }

    private static IReadOnlyList<AlignmentScore> Scores()
    {
        var scores = new List<AlignmentScore>();
        double[] before = [0.50, 0.52, 0.54], after = [0.80, 0.78, 0.82];
        for (int fold = 0; fold < 3; fold++)
        {
            // Two model pairs per fold; the summary averages them within the fold first.
            scores.Add(new(32, Comparisons.NeuronToNeuron, "semi", 0, 1, fold, before[fold] - 0.01));
            scores.Add(new(32, Comparisons.NeuronToNeuron, "semi", 1, 0, fold, before[fold] + 0.01));
            scores.Add(new(32, Comparisons.SaeToSae, "semi", 0, 1, fold, after[fold]));
            scores.Add(new(32, Comparisons.SaeToSae, "semi", 1, 0, fold, after[fold]));
            scores.Add(new(32, Comparisons.RandomSaeToRandomSae, "semi", 0, 1, fold, 0.3));
        }
        return scores;
    }

    [Test]
    public void SummaryIsTheFoldMeanWithItsStandardError()
    {
        var summaries = AlignmentSummary.Of(Scores());
        var before = summaries.Single(s => s.Comparison == Comparisons.NeuronToNeuron);
        Assert.That(before.Mean, Is.EqualTo(0.52).Within(1e-12));
        // Fold means 0.50, 0.52, 0.54: sample SD 0.02, SEM 0.02 / sqrt(3).
        Assert.That(before.Sem, Is.EqualTo(0.02 / Math.Sqrt(3)).Within(1e-12));
        Assert.That(before.Folds, Is.EqualTo(3));
        Assert.That(AlignmentSummary.RelativeChangePercent(summaries, 32, "semi"), Is.EqualTo((0.80 / 0.52 - 1) * 100).Within(1e-9));
        Assert.That(AlignmentSummary.RelativeChangePercent(summaries, 32, "soft"), Is.Null);
        Assert.That(summaries.Select(s => s.Comparison),
            Is.EqualTo(new[] { Comparisons.NeuronToNeuron, Comparisons.SaeToSae, Comparisons.RandomSaeToRandomSae }), "ordered as Comparisons.All");
    }

    [Test]
    public void MarkdownTableHasOneRowPerWidthAndMetric()
    {
        var markdown = PipelineReport.Markdown("paper-toy", AlignmentSummary.Of(Scores()), AlignmentSummary.Changes(Scores()));
        var row = markdown.Split('\n').Single(l => l.StartsWith("| 32 | semi"));
        Assert.That(row, Does.Contain("0.5200 ± 0.0115").And.Contain("0.8000 ± 0.0115").And.Contain("+53.8%"));
    }

    [Test]
    public void WritesScoresSummariesAndFigures()
    {
        var folder = Path.Combine(Path.GetTempPath(), "saealign-report-tests", Guid.NewGuid().ToString("N"));
        var toy = new TrainedToyModel(0, ToyArchitecture.HiddenRelu, 4, 2, [1, 0, 0, 1, 0.7f, 0.7f, -0.7f, 0.7f], new float[4], [0.1f, 0.05f]);
        var widths = new[]
        {
            new WidthFigures(32, toy, [(0, [1, 2, 3], [0.3, 0.2, 0.1]), (1, [1, 2, 3], [0.35, 0.22, 0.12])], [0.5, 0.6, 0.4, 0.7], [0.9, 0.95, 0.8, 0.99],
                new SaeStability(0, 1, new SaeComparisonResult(2, 2, 2, 0.7,
                    new DirectionMatch("decoder", [0.9, 0.5], 0.5, 0.7, [0.2, 0.1], 0, 0.15),
                    new DirectionMatch("encoder", [0.8, 0.8], 1, 0.8, [0.3, 0.1], 0, 0.2), null)),
                [(0, new GroundTruthRecovery(4, 0.9, 0.92, 3, 0.75, 0.8, 0.95, 2.5, 0, new FeatureDetection(0.7, 0.6, 0.64, 0.9, 1.2))), (1, null)]),
        };
        IReadOnlyList<string> files;
        using (var run = RunFolder.Create(folder, force: false))
        {
            files = PipelineReport.Write(run, "paper-toy", Scores(), widths);
            run.Commit(new RunManifest("report", null, [], new Dictionary<string, string>(), new Dictionary<string, double>()));
        }
        Assert.That(files, Is.EquivalentTo(new[]
        {
            "scores.parquet", "summary.json", "summary.md", "alignment_m32.png", "geometry_m32.png", "sae_curves_m32.png", "feature_recovery_m32.png",
            "sae_stability_m32.png", "sae_stability.json", "sae_recovery.json",
        }));
        using (var recovery = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "sae_recovery.json"))))
        {
            var saes = recovery.RootElement[0].GetProperty("saes");
            Assert.That(saes[0].GetProperty("groundTruth").GetProperty("mcc").GetDouble(), Is.EqualTo(0.9));
            Assert.That(saes[0].GetProperty("groundTruth").GetProperty("detection").GetProperty("f1").GetDouble(), Is.EqualTo(0.64));
            Assert.That(saes[1].GetProperty("groundTruth").ValueKind, Is.EqualTo(JsonValueKind.Null), "an SAE stage from before recovery was recorded");
        }
        using (var stability = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "sae_stability.json"))))
        {
            var width = stability.RootElement[0];
            Assert.That(width.GetProperty("neurons").GetInt32(), Is.EqualTo(32));
            Assert.That(width.GetProperty("directions")[1].GetProperty("sharedFraction").GetDouble(), Is.EqualTo(1));
            Assert.That(width.GetProperty("directions")[0].GetProperty("baselineMeanMatchedCosine").GetDouble(), Is.EqualTo(0.15));
        }
        AssertFigures(folder, 32);
        var table = TableParquet.Read(Path.Combine(folder, "scores.parquet"));
        Assert.That(table.Select(c => c.Name), Is.EqualTo(new[] { "neurons", "comparison", "metric", "source_seed", "target_seed", "fold", "score", "sample", "replicate" }));
        Assert.That(table[0].Values, Has.Length.EqualTo(15));
        Assert.That(AlignmentScore.Read(Path.Combine(folder, "scores.parquet")), Is.EqualTo(Scores()));
        TestContext.Out.WriteLine(folder);
    }

    /// <summary>
    /// Scores with replicates: three null replicates and four bootstrap replicates per comparison, each from two model
    /// pairs (averaged within the replicate, as folds are).
    /// </summary>
    private static IReadOnlyList<AlignmentScore> CalibratedScores()
    {
        var scores = Scores().ToList();
        double[] nullBefore = [0.10, 0.12, 0.14], nullAfter = [0.30, 0.32, 0.34];
        // Not in the same order, so pairing by replicate differs from pairing by rank.
        double[] bootBefore = [0.500, 0.512, 0.530, 0.546], bootAfter = [0.81, 0.79, 0.80, 0.80];
        foreach (var (source, target, shift) in new[] { (0L, 1L, -0.01), (1L, 0L, 0.01) })
        {
            for (int r = 0; r < 3; r++)
            {
                scores.Add(new(32, Comparisons.NeuronToNeuron, "semi", source, target, -1, nullBefore[r] + shift, AlignmentScore.Null, r));
                scores.Add(new(32, Comparisons.SaeToSae, "semi", source, target, -1, nullAfter[r] + shift, AlignmentScore.Null, r));
            }
            for (int r = 0; r < 4; r++)
            {
                scores.Add(new(32, Comparisons.NeuronToNeuron, "semi", source, target, -1, bootBefore[r] + shift, AlignmentScore.Bootstrap, r));
                scores.Add(new(32, Comparisons.SaeToSae, "semi", source, target, -1, bootAfter[r] - shift, AlignmentScore.Bootstrap, r));
            }
        }
        return scores;
    }

    [Test]
    public void SummaryCalibratesTheMeanWithReplicatesAveragedOverModelPairs()
    {
        var summaries = AlignmentSummary.Of(CalibratedScores());
        var before = summaries.Single(s => s.Comparison == Comparisons.NeuronToNeuron);
        Assert.That(before.Mean, Is.EqualTo(0.52).Within(1e-12), "replicates do not move the observed mean");
        var c = before.Calibration!;
        Assert.That(c.Permutations, Is.EqualTo(3));
        Assert.That(c.NullMean, Is.EqualTo(0.12).Within(1e-12));
        Assert.That(c.NullSd, Is.EqualTo(0.02).Within(1e-12));
        Assert.That(c.Calibrated, Is.EqualTo(0.40).Within(1e-12));
        Assert.That(c.PValue, Is.EqualTo(0.25), "1 / (1 + 3): no null reaches 0.52");
        // numpy.percentile([0.500, 0.512, 0.530, 0.546], [2.5, 97.5]) = [0.5009, 0.5448]
        Assert.That(c.IntervalLow, Is.EqualTo(0.5009).Within(1e-12));
        Assert.That(c.IntervalHigh, Is.EqualTo(0.5448).Within(1e-12));
        Assert.That(summaries.Single(s => s.Comparison == Comparisons.RandomSaeToRandomSae).Calibration, Is.Null, "no replicates, no calibration");

        var change = AlignmentSummary.Changes(CalibratedScores()).Single();
        Assert.That(change.Percent, Is.EqualTo((0.80 / 0.52 - 1) * 100).Within(1e-9));
        // numpy.percentile((a / b - 1) * 100, [2.5, 97.5]) of the replicate pairs = [46.85189025, 61.42226563]
        Assert.That(change.PercentLow, Is.EqualTo(46.85189025).Within(1e-6));
        Assert.That(change.PercentHigh, Is.EqualTo(61.42226563).Within(1e-6));
        Assert.That(change.CalibratedPercent, Is.EqualTo(((0.80 - 0.32) / (0.52 - 0.12) - 1) * 100).Within(1e-9));

        var markdown = PipelineReport.Markdown("paper-toy", summaries, AlignmentSummary.Changes(CalibratedScores()));
        var row = markdown.Split('\n').Single(l => l.StartsWith("| 32 | semi"));
        Assert.That(row, Does.Contain("0.5200 ± 0.0115<br>cal 0.4000 p 0.250<br>[0.5009, 0.5448]").And.Contain("+53.8%<br>[+46.9, +61.4]<br>cal +20.0%"));
        Assert.That(markdown, Does.Contain("mean of 3 permutation-null scores").And.Contain("95% bootstrap percentile interval over 4 resamples"));
    }

    [Test]
    public void ScoresWrittenBeforeCalibrationReadAsObservedFolds()
    {
        var path = Path.Combine(Path.GetTempPath(), $"saealign-old-scores-{Guid.NewGuid():N}.parquet");
        TableParquet.Write(path,
        [
            TableColumn.Int32("neurons", [32]), TableColumn.String("comparison", [Comparisons.SaeToSae]), TableColumn.String("metric", ["semi"]),
            TableColumn.Int64("source_seed", [0]), TableColumn.Int64("target_seed", [1]), TableColumn.Int32("fold", [2]), TableColumn.Float64("score", [0.5]),
        ]);
        Assert.That(AlignmentScore.Read(path), Is.EqualTo(new[] { new AlignmentScore(32, Comparisons.SaeToSae, "semi", 0, 1, 2, 0.5) }));
        File.Delete(path);
    }
}
