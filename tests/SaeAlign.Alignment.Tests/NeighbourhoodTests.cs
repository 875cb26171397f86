using SaeAlign.Alignment;

namespace SaeAlign.Alignment.Tests;

/// <summary>RSA and mutual k-NN against direct computations over every pair, on rows with many exact ties.</summary>
public class NeighbourhoodTests
{
    /// <summary>ReLU-code-like rows: a few sparse patterns, each scaled, so many rows have cosine exactly 1 or equal cosines.</summary>
    private static Matrix Patterned(int rows, int columns, int patterns, int seed)
    {
        var random = new Random(seed);
        var shapes = Enumerable.Range(0, patterns).Select(_ => Enumerable.Range(0, columns).Select(_ => random.Next(3) == 0 ? random.Next(1, 4) : 0.0).ToArray()).ToArray();
        var data = new double[rows * columns];
        for (int r = 0; r < rows; r++)
        {
            var shape = shapes[random.Next(patterns)];
            double scale = random.Next(1, 5);
            for (int c = 0; c < columns; c++) data[r * columns + c] = shape[c] * scale;
        }
        return new Matrix(rows, columns, data);
    }

    private static double[] Row(Matrix m, int r) => Enumerable.Range(0, m.Columns).Select(c => m.Data[r * m.Columns + c]).ToArray();

    private static double Cosine(double[] u, double[] v)
    {
        double nu = Math.Sqrt(u.Sum(x => x * x)), nv = Math.Sqrt(v.Sum(x => x * x));
        return nu == 0 || nv == 0 ? 0 : u.Zip(v, (p, q) => p * q).Sum() / (nu * nv);
    }

    private static int[] BruteNeighbours(Matrix m, int i, int k) => Enumerable.Range(0, m.Rows).Where(j => j != i)
        .OrderByDescending(j => Math.Round(Cosine(Row(m, i), Row(m, j)) * 1e10)).ThenBy(j => j).Take(k).ToArray();

    [TestCase(1)]
    [TestCase(5)]
    public void MutualKnnBreaksTiesByTheLowerStimulusIndexLikeBruteForce(int k)
    {
        var x = Patterned(700, 6, 5, 1);
        var y = Patterned(700, 4, 4, 2);
        double expected = Enumerable.Range(0, x.Rows).Sum(i => BruteNeighbours(x, i, k).Intersect(BruteNeighbours(y, i, k)).Count()) / (700.0 * k);
        Assert.That(MutualKnn.Score(x, y, k), Is.EqualTo(expected).Within(1e-12));
    }

    [Test]
    public void RsaPearsonEqualsTheCorrelationOfTheExplicitUpperTriangles()
    {
        // More rows than one 512-row block, one shared latent so the score is far from 0.
        var random = new Random(3);
        var latent = Enumerable.Range(0, 600 * 3).Select(_ => random.NextDouble() - 0.5).ToArray();
        Matrix Readout(int columns) => new(600, columns, Enumerable.Range(0, 600 * columns)
            .Select(e => latent[e / columns * 3 + e % 3] + 0.3 * random.NextDouble()).ToArray());
        var x = Readout(6);
        var y = Readout(5);
        var rx = new List<double>();
        var ry = new List<double>();
        for (int i = 0; i < x.Rows; i++)
            for (int j = i + 1; j < x.Rows; j++)
            {
                rx.Add(1 - Pearson(Row(x, i), Row(x, j)));
                ry.Add(1 - Pearson(Row(y, i), Row(y, j)));
            }
        Assert.That(Rsa.Score(x, y).Score, Is.EqualTo(Pearson(rx.ToArray(), ry.ToArray())).Within(1e-9));
    }

    [Test]
    public void SampledMetricsAloneSkipTheMomentsButDropTheSameConstantUnits()
    {
        // A constant source unit and a dead target unit, which RSA and k-NN must drop whether or not moments are taken.
        var source = TestData.Gaussian(300, 4, 5);
        var target = TestData.Related(source, 3, 0.5, 6);
        for (int r = 0; r < 300; r++)
        {
            source.Values[r * 4 + 2] = 3f;
            target.Values[r * 3] = 0f;
        }
        var alone = TestData.Run(source, target, "rsa,mknn", k: 5);
        var together = TestData.Run(source, target, "semi,rsa,mknn", k: 5);
        foreach (var metric in new[] { "rsa", "mknn" })
            Assert.That(alone.Score(metric), Is.EqualTo(together.Score(metric)), metric);
        Assert.That(alone.DroppedSourceUnits, Is.EqualTo(together.DroppedSourceUnits).And.Count.EqualTo(1));
        Assert.That(alone.DroppedTargetUnits, Is.EqualTo(together.DroppedTargetUnits).And.Count.EqualTo(1));
    }

    private static double Pearson(double[] u, double[] v)
    {
        double mu = u.Average(), mv = v.Average();
        double cov = u.Zip(v, (p, q) => (p - mu) * (q - mv)).Sum();
        return cov / Math.Sqrt(u.Sum(p => (p - mu) * (p - mu)) * v.Sum(q => (q - mv) * (q - mv)));
    }
}
