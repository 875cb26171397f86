using System.Globalization;
using SaeAlign.Testing;

namespace SaeAlign.ToyModels.Tests;

/// <summary>
/// A short deterministic run of a preset: a change to the data stream, the initialisation, the loss or the
/// optimiser shows up as a snapshot mismatch.
/// </summary>
public class ToySnapshotTests
{
    /// <summary>
    /// Another CPU's kernels move these values in the third or fourth decimal after 300 steps; a change to the
    /// stream, the initialisation or the loss moves them by far more (a different seed changes every value by 0.1
    /// or more). Losses are in thousandths so that one tolerance suits every field.
    /// </summary>
    private static readonly Tolerance KernelNoise = new(0.01, 0.02);

    [Test]
    public void Paper64x8ShortRun()
    {
        var config = ToyPreset.Load("paper-64x8").Config with { Steps = 300, EvalRows = 1000 };
        var models = new ToyModelTrainer(config).Train([0, 1]);
        var evaluation = ToyEvaluation.Generate(config, models);

        ApproximateSnapshot.Match(new
        {
            models = models.Select((m, k) =>
            {
                var geometry = FeatureGeometry.Of(m.W, m.Features, m.Neurons);
                return new
                {
                    seed = m.Seed,
                    lossX1000Every50Steps = m.LossCurve.Where((_, i) => (i + 1) % 50 == 0).Select(l => Significant(1000 * l)).ToArray(),
                    dimensionsPerFeature = Math.Round(geometry.DimensionsPerFeature, 4),
                    representedFeatures = geometry.RepresentedFeatures,
                    firstFeatureNorms = geometry.Norms.Take(8).Select(x => Math.Round(x, 3)).ToArray(),
                    firstHiddenRows = Enumerable.Range(0, 3)
                        .Select(r => evaluation.Hidden[k].Row(r).ToArray().Select(x => Math.Round(x, 4)).ToArray()).ToArray(),
                };
            }).ToArray(),
            firstFeatureRow = evaluation.Features.Row(0).ToArray().Select(x => Math.Round(x, 4)).ToArray(),
        }, KernelNoise);
    }

    private static double Significant(double x) => double.Parse(x.ToString("G4", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
}
