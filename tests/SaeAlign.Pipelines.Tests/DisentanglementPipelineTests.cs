using SaeAlign.Core;
using SaeAlign.Sae;

namespace SaeAlign.Pipelines.Tests;

public class DisentanglementPipelineTests
{
    /// <summary>The paper-toy preset for one width at a scale that runs in seconds.</summary>
    internal static PipelineSpec Small() => PipelineSpec.LoadPreset("paper-toy") with
    {
        Toy = PipelineSpec.LoadPreset("paper-toy").Toy with { Steps = 300, EvalRows = 200 },
        Neurons = [16],
        Stimuli = 12_000,
        Metrics = ["semi", "soft"],
        Cv = "kfold:3:42",
    };

    internal static string TempFolder() => Path.Combine(Path.GetTempPath(), "saealign-pipeline-tests", Guid.NewGuid().ToString("N"));

    [Test]
    public void RunsEveryStageAndResumesWithoutRecomputing()
    {
        var folder = TempFolder();
        var first = new DisentanglementPipeline(Small(), "paper-toy").Run(folder);
        Assert.That(first.StagesRun, Is.EqualTo(new[] { "m16/toy", "m16/sae-seed0", "m16/sae-seed1", "m16/alignment" }));

        // Every comparison x metric x ordered model pair x fold has a score, and each of them 20 null replicates (the default).
        Assert.That(first.Scores.Count(s => s.Sample == AlignmentScore.Observed), Is.EqualTo(Comparisons.All.Count * 2 * 2 * 3));
        Assert.That(first.Scores.Count(s => s.Sample == AlignmentScore.Null), Is.EqualTo(Comparisons.All.Count * 2 * 2 * 20));
        Assert.That(first.Summaries.All(s => s.Calibration is { Permutations: 20, PValue: > 0 and <= 1 }), Is.True);
        Assert.That(first.Summaries.Select(s => s.Comparison).Distinct(), Is.EquivalentTo(Comparisons.All));
        foreach (var file in new[] { "scores.parquet", "summary.json", "summary.md" })
            Assert.That(File.Exists(Path.Combine(folder, DisentanglementPipeline.ReportFolder, file)), file);
        PipelineReportTests.AssertFigures(Path.Combine(folder, DisentanglementPipeline.ReportFolder), 16);

        // A simulated interruption: the alignment stage is lost; only it is recomputed, to the same scores.
        Directory.Delete(Path.Combine(folder, "m16", "alignment"), recursive: true);
        var resumed = new DisentanglementPipeline(Small(), "paper-toy").Run(folder);
        Assert.That(resumed.StagesRun, Is.EqualTo(new[] { "m16/alignment" }));
        Assert.That(resumed.Scores, Is.EqualTo(first.Scores));

        var again = new DisentanglementPipeline(Small(), "paper-toy").Run(folder);
        Assert.That(again.StagesRun, Is.Empty);
    }

    [Test]
    public void ChangedSaeConfigRecomputesFromTheSaeStage()
    {
        var folder = TempFolder();
        new DisentanglementPipeline(Small(), "paper-toy").Run(folder);
        var changed = Small() with { Sae = (PaperToySaeConfig)Small().Sae with { K = 5 } };
        var result = new DisentanglementPipeline(changed, "paper-toy").Run(folder);
        Assert.That(result.StagesRun, Is.EqualTo(new[] { "m16/sae-seed0", "m16/sae-seed1", "m16/alignment" }));
    }

    [Test]
    public void SpecWithUnknownFieldsOrBadValuesIsBadInput()
    {
        var unknown = Assert.Throws<InvalidInputException>(() => PipelineSpec.Parse("""{"neuron": [8]}""", "spec.json"));
        Assert.That(unknown!.Message, Does.Contain("spec.json").And.Contain("neuron"));
        var fraction = Assert.Throws<InvalidInputException>(() => PipelineSpec.Parse("""{"trainFraction": 1.5}""", "spec.json"));
        Assert.That(fraction!.Message, Does.Contain("trainFraction"));
        var metric = Assert.Throws<InvalidInputException>(() => PipelineSpec.Parse("""{"metrics": ["semi", "bogus"]}""", "spec.json"));
        Assert.That(metric!.Message, Does.Contain("bogus"));
        var seeds = Assert.Throws<InvalidInputException>(() => PipelineSpec.Parse("""{"seeds": [0]}""", "spec.json"));
        Assert.That(seeds!.Message, Does.Contain("seeds"));
    }

    [Test]
    public void PaperToyPresetIsThePapersExperiment()
    {
        var spec = PipelineSpec.LoadPreset("paper-toy");
        Assert.That(spec.Neurons, Is.EqualTo(new[] { 8, 16, 32 }));
        Assert.That(spec.Stimuli, Is.EqualTo(10_240_000));
        Assert.That(spec.Toy.Steps * spec.Toy.Batch, Is.EqualTo(spec.Stimuli), "activations over exactly the training stream");
        Assert.That((spec.Sae.DSae, ((PaperToySaeConfig)spec.Sae).K, spec.Sae.Architecture), Is.EqualTo(((int?)64, 7, SaeArchitecture.PaperToy)));
        Assert.That(spec.Metrics, Is.EqualTo(new[] { "semi", "soft", "ridge" }));
        var scaled = spec.Scaled(0.01);
        Assert.That((scaled.Toy.Steps, scaled.Stimuli), Is.EqualTo((100, 102_400)));
    }
}
