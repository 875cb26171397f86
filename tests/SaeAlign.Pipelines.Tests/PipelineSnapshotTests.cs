using Snapshooter.NUnit;

namespace SaeAlign.Pipelines.Tests;

/// <summary>
/// The report's before/after table at a fixed small configuration (one torch thread, fixed seeds): a change to
/// the toy models, the SAE, the encoding, the folds or a metric shows up as a snapshot mismatch.
/// </summary>
public class PipelineSnapshotTests
{
    [Test]
    public void ReportTableAtAFixedSmallConfiguration()
    {
        var preset = PipelineSpec.LoadPreset("paper-toy");
        var spec = preset with
        {
            Toy = preset.Toy with { Steps = 200, EvalRows = 100 },
            Neurons = [8],
            Stimuli = 6_000,
            Metrics = ["semi", "soft", "ridge"],
            Cv = "kfold:3:42",
        };
        var folder = Path.Combine(Path.GetTempPath(), "saealign-pipeline-tests", Guid.NewGuid().ToString("N"));
        new DisentanglementPipeline(spec, "snapshot").Run(folder);
        var table = File.ReadAllLines(Path.Combine(folder, DisentanglementPipeline.ReportFolder, "summary.md"));
        Snapshot.Match(new { table });
    }
}
