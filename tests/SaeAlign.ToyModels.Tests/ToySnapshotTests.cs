using System.Globalization;
using Snapshooter.NUnit;

namespace SaeAlign.ToyModels.Tests;

/// <summary>
/// A short deterministic run of a preset, rounded so that it is stable on one machine: a change to the
/// data stream, the initialisation, the loss or the optimiser shows up as a snapshot mismatch.
/// </summary>
public class ToySnapshotTests
{
    [Test]
    public void Paper64x8ShortRun()
    {
        var config = ToyPreset.Load("paper-64x8").Config with { Steps = 300, EvalRows = 1000 };
        var models = new ToyModelTrainer(config).Train([0, 1]);
        var evaluation = ToyEvaluation.Generate(config, models);

        Snapshot.Match(new
        {
            models = models.Select((m, k) =>
            {
                var geometry = FeatureGeometry.Of(m.W, m.Features, m.Neurons);
                return new
                {
                    seed = m.Seed,
                    lossEvery50Steps = m.LossCurve.Where((_, i) => (i + 1) % 50 == 0).Select(l => Significant(l)).ToArray(),
                    dimensionsPerFeature = Math.Round(geometry.DimensionsPerFeature, 4),
                    representedFeatures = geometry.RepresentedFeatures,
                    firstFeatureNorms = geometry.Norms.Take(8).Select(x => Math.Round(x, 3)).ToArray(),
                    firstHiddenRows = Enumerable.Range(0, 3)
                        .Select(r => evaluation.Hidden[k].Row(r).ToArray().Select(x => Math.Round(x, 4)).ToArray()).ToArray(),
                };
            }).ToArray(),
            firstFeatureRow = evaluation.Features.Row(0).ToArray().Select(x => Math.Round(x, 4)).ToArray(),
        });
    }

    private static double Significant(double x) => double.Parse(x.ToString("G4", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
}
