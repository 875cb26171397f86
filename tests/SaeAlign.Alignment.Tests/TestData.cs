using SaeAlign.Alignment;
using SaeAlign.Core;
using SaeAlign.Testing;

namespace SaeAlign.Alignment.Tests;

internal static class TestData
{
    public static ActivationSet Gaussian(int rows, int columns, int seed)
    {
        var random = new Random(seed);
        var values = new float[rows * columns];
        for (int i = 0; i < values.Length; i++)
            values[i] = (float)(Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()));
        return new ActivationSet(values, rows, columns);
    }

    /// <summary>A target that is a noisy linear function of <paramref name="source"/>, so every metric has signal.</summary>
    public static ActivationSet Related(ActivationSet source, int columns, double noise, int seed)
    {
        var mix = Gaussian(source.Columns, columns, seed);
        var eps = Gaussian(source.Rows, columns, seed + 1);
        var values = new float[source.Rows * columns];
        for (int r = 0; r < source.Rows; r++)
            for (int j = 0; j < columns; j++)
            {
                double sum = 0;
                for (int i = 0; i < source.Columns; i++) sum += source[r, i] * mix[i, j];
                values[r * columns + j] = (float)(sum + noise * eps[r, j]);
            }
        return new ActivationSet(values, source.Rows, columns);
    }

    /// <summary>Columns reordered by <paramref name="order"/> and multiplied by <paramref name="scales"/>.</summary>
    public static ActivationSet PermuteAndScale(ActivationSet set, int[] order, float[] scales)
    {
        var values = new float[set.Values.Length];
        for (int r = 0; r < set.Rows; r++)
            for (int j = 0; j < set.Columns; j++)
                values[r * set.Columns + j] = set[r, order[j]] * scales[j];
        return new ActivationSet(values, set.Rows, set.Columns);
    }

    public static AlignmentReport Run(ActivationSet source, ActivationSet target, string metrics, string cv = "none", int k = 10) =>
        AlignmentRunner.Run(new InMemoryPairedRows(source, target), new AlignmentOptions
        {
            Metrics = AlignmentMetric.Parse(metrics),
            Cv = CrossValidation.Parse(cv),
            K = k,
        });

    public static double Score(this AlignmentReport report, string metric) => report.Metrics.Single(m => m.Metric == metric).Score;

    public static Matrix ToMatrix(ActivationSet set) => new(set.Rows, set.Columns, set.Values.Select(v => (double)v).ToArray());

    /// <summary>The moments of a whole in-memory pair, all sums collected.</summary>
    public static PairMoments Moments(ActivationSet source, ActivationSet target)
    {
        using var accumulator = new MomentAccumulator(source.Columns, target.Columns, 1, MomentNeeds.All);
        accumulator.Add(source.Values, target.Values, source.Rows, []);
        return accumulator.Moments()[0];
    }

    public static string RepoFile(params string[] parts) => Repository.File(parts);
}
