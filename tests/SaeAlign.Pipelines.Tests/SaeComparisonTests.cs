using SaeAlign.Core;
using SaeAlign.Sae;
using static TorchSharp.torch;

namespace SaeAlign.Pipelines.Tests;

public class SaeComparisonTests
{
    /// <summary>A top-k dictionary whose decoder rows are <paramref name="rows"/> and whose encoder columns are the same directions.</summary>
    private static SaeDictionary Dictionary(double[][] rows, int k = 2)
    {
        int dSae = rows.Length, dIn = rows[0].Length;
        var wDec = rows.SelectMany(r => r.Select(v => (float)v)).ToArray();
        var wEnc = new float[dIn * dSae];
        for (int i = 0; i < dSae; i++)
            for (int j = 0; j < dIn; j++)
                wEnc[j * dSae + i] = wDec[i * dIn + j];
        return new SaeDictionary(SaeArchitecture.TopK, dIn, dSae, k, wEnc, wDec, new float[dSae], new float[dIn], null, null, new Dictionary<string, string>());
    }

    private static double[][] RandomRows(int rows, int columns, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, rows).Select(_ => Enumerable.Range(0, columns).Select(_ => random.NextDouble() * 2 - 1).ToArray()).ToArray();
    }

    [Test]
    public void AHandCheckedMatchingGivesItsCosinesSharedFractionAndMean()
    {
        double h = Math.Sqrt(0.5);
        var a = Dictionary([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]);
        var b = Dictionary([[0, 1, 0, 0], [1, 0, 0, 0], [0, 0, h, h], [0, 0, 0, -1]]);

        var result = SaeComparison.Compare(a, b, new SaeComparisonOptions());

        // e3 and e4 share B's (e3 + e4)/√2 and -e4: e4 takes the former (0.707) and e3 the latter (0), which beats
        // e3 with the former (0.707) and e4 with -e4 (-1).
        foreach (var match in new[] { result.Decoder, result.Encoder })
        {
            Assert.That(match.MatchedCosines, Is.EqualTo(new[] { 1, 1, 0, h }).Within(1e-6));
            Assert.That(match.SharedFraction, Is.EqualTo(0.75));
            Assert.That(match.MeanMatchedCosine, Is.EqualTo((2 + h) / 4).Within(1e-6));
        }
    }

    [TestCase(6, 6)]
    [TestCase(6, 4)]
    [TestCase(4, 6)]
    public void TheMatchingIsTheBestOfEveryAssignment(int latentsA, int latentsB)
    {
        var a = RandomRows(latentsA, 5, 1);
        var b = RandomRows(latentsB, 5, 2);
        double Cos(int i, int j) => a[i].Zip(b[j], (x, y) => x * y).Sum() / Math.Sqrt(a[i].Sum(x => x * x) * b[j].Sum(y => y * y));

        var matched = SaeComparison.MatchedCosines(tensor(a.SelectMany(r => r).ToArray(), [latentsA, 5]), tensor(b.SelectMany(r => r).ToArray(), [latentsB, 5]));

        // Brute force over every injective map from the smaller side into the larger one.
        int small = Math.Min(latentsA, latentsB), large = Math.Max(latentsA, latentsB);
        double best = double.NegativeInfinity;
        foreach (var map in Injections(small, large))
            best = Math.Max(best, Enumerable.Range(0, small).Sum(s => latentsA <= latentsB ? Cos(s, map[s]) : Cos(map[s], s)));
        Assert.That(matched.Where(c => !double.IsNaN(c)).Sum(), Is.EqualTo(best).Within(1e-6));
        Assert.That(matched.Count(double.IsNaN), Is.EqualTo(latentsA - small));
    }

    private static IEnumerable<int[]> Injections(int small, int large)
    {
        if (small == 0) { yield return []; yield break; }
        foreach (var rest in Injections(small - 1, large))
            for (int j = 0; j < large; j++)
                if (!rest.Contains(j)) yield return [.. rest, j];
    }

    [Test]
    public void ADictionaryMatchesItselfFullyAndARandomOneAtChanceLevel()
    {
        var a = Dictionary(RandomRows(32, 64, 3));

        var result = SaeComparison.Compare(a, a, new SaeComparisonOptions { Seed = 7 });

        Assert.That(result.Decoder.SharedFraction, Is.EqualTo(1));
        Assert.That(result.Decoder.MeanMatchedCosine, Is.EqualTo(1).Within(1e-6));
        // Random directions in 64 dimensions: cosines of order 1/√64, the best of 32 partners well under 0.7.
        Assert.That(result.Decoder.BaselineSharedFraction, Is.Zero);
        Assert.That(result.Decoder.BaselineMeanMatchedCosine, Is.InRange(0.0, 0.5));
        Assert.That(SaeComparison.Compare(a, a, new SaeComparisonOptions { Seed = 7 }).Decoder.BaselineMeanMatchedCosine,
            Is.EqualTo(result.Decoder.BaselineMeanMatchedCosine), "the seed fixes the baseline");
    }

    [Test]
    public void CodesOfTheSameSaeCorrelatePerfectlyAndDeadLatentsAreCounted()
    {
        var rows = RandomRows(8, 4, 4);
        var a = Dictionary(rows);
        var random = new Random(9);
        var values = Enumerable.Range(0, 300 * 4).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        var activations = new ActivationSet(values, 300, 4);

        var codes = SaeComparison.Compare(a, a, new SaeComparisonOptions(), activations).Codes!;

        Assert.That(codes.Rows, Is.EqualTo(300));
        Assert.That(codes.MeanMatchedCorrelation, Is.EqualTo(1).Within(1e-9));
        Assert.That(codes.DeadA, Is.EqualTo(codes.DeadB));
    }

    [Test]
    public void DictionariesOfDifferentInputsAreRefused()
    {
        var error = Assert.Throws<InvalidInputException>(() =>
            SaeComparison.Compare(Dictionary(RandomRows(4, 3, 1)), Dictionary(RandomRows(4, 5, 1)), new SaeComparisonOptions()));
        Assert.That(error!.Message, Does.Contain("d_in 3 and 5"));
    }
}
