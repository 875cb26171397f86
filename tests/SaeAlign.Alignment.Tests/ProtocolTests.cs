using SaeAlign.Alignment;
using SaeAlign.Core;

namespace SaeAlign.Alignment.Tests;

/// <summary>CV parsing and folds, moment streaming, and bad input.</summary>
public class ProtocolTests
{
    [TestCase("none", 1, 0L)]
    [TestCase("kfold:5:42", 5, 42L)]
    [TestCase(" KFOLD:2:0 ", 2, 0L)]
    public void ParsesCvSpecs(string text, int folds, long seed)
    {
        var cv = CrossValidation.Parse(text);
        Assert.That((cv.Folds, cv.Seed), Is.EqualTo((folds, seed)));
    }

    [TestCase("kfold:1:0")]
    [TestCase("kfold:5")]
    [TestCase("loo")]
    [TestCase("kfold:x:1")]
    [TestCase("kfold:3:-1")]
    public void RejectsMalformedCvNamingTheOption(string text)
    {
        var e = Assert.Throws<InvalidInputException>(() => CrossValidation.Parse(text));
        Assert.That(e!.Message, Does.StartWith("cv: ").And.Contain(text));
    }

    [Test]
    public void FoldsAreBalancedAndSeeded()
    {
        var folds = new CrossValidation(4, 9).Assign(103);
        Assert.That(Enumerable.Range(0, 4).Select(f => folds.Count(x => x == f)), Is.EqualTo(new[] { 26, 26, 26, 25 }));
        Assert.That(new CrossValidation(4, 9).Assign(103), Is.EqualTo(folds));
        Assert.That(new CrossValidation(4, 10).Assign(103), Is.Not.EqualTo(folds));
    }

    [Test]
    public void SemIsTheStandardErrorOfFoldScores()
    {
        var (mean, sem) = CrossValidation.Summarise([1, 2, 3, 6]);
        Assert.That(mean, Is.EqualTo(3));
        Assert.That(sem, Is.EqualTo(Math.Sqrt(14.0 / 3 / 4)).Within(1e-15));
    }

    [Test]
    public void MomentsOfSplitBlocksAddUpToTheWhole()
    {
        var x = TestData.Gaussian(90, 4, 1);
        var y = TestData.Gaussian(90, 3, 2);
        var whole = TestData.Moments(x, y);
        using var accumulator = new MomentAccumulator(4, 3, 1, MomentNeeds.All);
        foreach (var (start, rows) in new[] { (0, 17), (17, 50), (67, 23) })
            accumulator.Add(x.Values[(start * 4)..((start + rows) * 4)], y.Values[(start * 3)..((start + rows) * 3)], rows, []);
        var split = accumulator.Moments()[0];
        var mx = whole.MeanX();
        var my = whole.MeanY();
        // Different shifts (first block's means), same centred moments.
        Assert.That(split.CrossProducts(split.MeanX(), split.MeanY()).Data, Is.EqualTo(whole.CrossProducts(mx, my).Data).Within(1e-9));
        Assert.That(LinearCka.Score(split, debiased: true), Is.EqualTo(LinearCka.Score(whole, debiased: true)).Within(1e-12));
    }

    [Test]
    public void DebiasedCkaEqualsTheGramMatrixEstimator()
    {
        var x = TestData.Gaussian(25, 3, 31);
        var y = TestData.Related(x, 4, 1.5, 32);
        static double[,] Gram(ActivationSet s)
        {
            var m = TestData.ToMatrix(s);
            var means = Enumerable.Range(0, m.Columns).Select(c => Enumerable.Range(0, m.Rows).Average(r => m[r, c])).ToArray();
            var g = new double[m.Rows, m.Rows];
            for (int i = 0; i < m.Rows; i++)
                for (int j = 0; j < m.Rows; j++)
                    g[i, j] = i == j ? 0 : Enumerable.Range(0, m.Columns).Sum(c => (m[i, c] - means[c]) * (m[j, c] - means[c]));
            return g;
        }
        static double Hsic(double[,] k, double[,] l)
        {
            int n = k.GetLength(0);
            double trace = 0, sk = 0, sl = 0, middle = 0;
            for (int i = 0; i < n; i++)
            {
                double ki = 0, li = 0;
                for (int j = 0; j < n; j++) { trace += k[i, j] * l[j, i]; sk += k[i, j]; sl += l[i, j]; ki += k[i, j]; li += l[i, j]; }
                middle += ki * li;
            }
            return (trace + sk * sl / ((n - 1.0) * (n - 2)) - 2.0 / (n - 2) * middle) / (n * (n - 3.0));
        }
        var kx = Gram(x);
        var ly = Gram(y);
        double expected = Hsic(kx, ly) / Math.Sqrt(Hsic(kx, kx) * Hsic(ly, ly));
        Assert.That(TestData.Run(x, y, "cka-debiased").Score("cka-debiased"), Is.EqualTo(expected).Within(1e-9));
    }

    [Test]
    public void DifferentRowCountsAreBadInput()
    {
        var e = Assert.Throws<InvalidInputException>(() => new InMemoryPairedRows(TestData.Gaussian(10, 3, 1), TestData.Gaussian(11, 3, 2)));
        Assert.That(e!.Message, Does.Contain("10 rows").And.Contain("11"));
    }

    [Test]
    public void MismatchedStimulusIdsAreBadInputNamingTheRow()
    {
        var x = TestData.Gaussian(5, 3, 1);
        var y = new ActivationSet(TestData.Gaussian(5, 3, 2).Values, 5, 3, [0, 1, 2, 9, 4]);
        var e = Assert.Throws<InvalidInputException>(() => new InMemoryPairedRows(x, y));
        Assert.That(e!.Message, Does.Contain("row 3").And.Contain("target has 9"));
    }

    [Test]
    public void NonFiniteValuesAreBadInputNamingRowAndColumn()
    {
        var y = TestData.Gaussian(6, 3, 2);
        y.Values[4 * 3 + 1] = float.NaN;
        var e = Assert.Throws<InvalidInputException>(() => new InMemoryPairedRows(TestData.Gaussian(6, 3, 1), y, "a.npy", "b.npy"));
        Assert.That(e!.Message, Does.Contain("b.npy").And.Contain("row 4").And.Contain("column 1"));
    }

    [Test]
    public void FewerThanTwoLiveUnitsIsBadInput()
    {
        var x = new ActivationSet(Enumerable.Range(0, 30).Select(i => i % 3 == 0 ? (float)i : 1f).ToArray(), 10, 3);
        var e = Assert.Throws<InvalidInputException>(() => TestData.Run(x, TestData.Gaussian(10, 3, 2), "semi"));
        Assert.That(e!.Message, Does.Contain("source").And.Contain("1 non-constant unit"));
    }

    [Test]
    public void FewerRowsThanFoldsIsBadInput()
    {
        var e = Assert.Throws<InvalidInputException>(() => TestData.Run(TestData.Gaussian(4, 3, 1), TestData.Gaussian(4, 3, 2), "semi", "kfold:5:0"));
        Assert.That(e!.Message, Does.StartWith("cv kfold:").And.Contain("4 rows"));
    }

    [Test]
    public void UnknownMetricIsBadInputListingTheKnownOnes()
    {
        var e = Assert.Throws<InvalidInputException>(() => AlignmentMetric.Parse("semi,cca"));
        Assert.That(e!.Message, Does.StartWith("metrics: ").And.Contain("'cca'").And.Contain("one-to-one"));
    }

    [Test]
    public void TripletMetricNeedsTriplets()
    {
        var e = Assert.Throws<InvalidInputException>(() => TestData.Run(TestData.Gaussian(10, 3, 1), TestData.Gaussian(10, 3, 2), "triplet"));
        Assert.That(e!.Message, Does.Contain("(triplets FILE)"));
    }
}
