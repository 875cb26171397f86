using System.Globalization;
using System.Text.RegularExpressions;
using SaeAlign.Testing;

namespace SaeAlign.Pipelines.Tests;

/// <summary>
/// The report's before/after table at a fixed small configuration (one torch thread, fixed seeds): a change to
/// the toy models, the SAE, the encoding, the folds or a metric shows up as a snapshot mismatch.
/// </summary>
public partial class PipelineSnapshotTests
{
    /// <summary>
    /// Another CPU's kernels move a score by up to about 0.001 after training (0.2366 on AMD AVX-512, 0.2358 with
    /// AVX2 kernels on Intel) and a fold SEM by about 0.0005; a real change to the pipeline moves them by far more.
    /// ±(0.005 + 2%) holds scores to about ±0.01 and the change column to about ±1 percentage point.
    /// </summary>
    private static readonly Tolerance KernelNoise = new(0.005, 0.02);

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
            // The snapshot pins the observed scores; calibration has its own tests.
            NullPermutations = 0,
        };
        var folder = Path.Combine(Path.GetTempPath(), "saealign-pipeline-tests", Guid.NewGuid().ToString("N"));
        new DisentanglementPipeline(spec, "snapshot").Run(folder);
        var lines = File.ReadAllLines(Path.Combine(folder, DisentanglementPipeline.ReportFolder, "summary.md"));
        Directory.Delete(folder, recursive: true);

        // The table's text with every number as #, and its numbers in reading order, compared with a tolerance.
        ApproximateSnapshot.Match(new
        {
            table = lines.Select(line => Number().Replace(line, "#")).ToArray(),
            numbers = lines.Select(line => Number().Matches(line).Select(m => double.Parse(m.Value, CultureInfo.InvariantCulture)).ToArray())
                .Where(row => row.Length > 0).ToArray(),
        }, KernelNoise);
    }

    /// <summary>Decimal numbers such as 0.2366 or -48.5 (integers such as the width 8 stay in the text).</summary>
    [GeneratedRegex(@"-?\d+\.\d+")]
    private static partial Regex Number();
}
