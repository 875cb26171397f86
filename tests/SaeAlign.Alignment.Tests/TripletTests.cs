using SaeAlign.Data;

namespace SaeAlign.Alignment.Tests;

public class TripletTests
{
    /// <summary>Items 0 and 1 point the same way; item 2 is orthogonal to 0 but long, so its dot product with 1 is the largest.</summary>
    private static readonly Matrix ThreeItems = Matrix.FromRows([[1, 0], [10, 0.5], [0, 30]]);

    [Test]
    public void CosineAndDotProductPickDifferentOddOnes()
    {
        var t = new Triplet(0, 1, 2, 2);
        Assert.That(TripletAgreement.OddOneOut(ThreeItems, t, SimilarityKind.Cosine), Is.EqualTo(2));
        Assert.That(TripletAgreement.OddOneOut(ThreeItems, t, SimilarityKind.Dot), Is.EqualTo(0));
        Assert.That(TripletAgreement.Score(ThreeItems, [t], SimilarityKind.Cosine), Is.EqualTo(1));
        Assert.That(TripletAgreement.Score(ThreeItems, [t], SimilarityKind.Dot), Is.EqualTo(0));
    }

    [Test]
    public void BootstrapIntervalHoldsTheScoreAndIsReproducible()
    {
        var rows = TestData.ToMatrix(TestData.Gaussian(30, 4, 3));
        var random = new Random(4);
        var triplets = Enumerable.Range(0, 200).Select(_ =>
        {
            var items = Enumerable.Range(0, 30).OrderBy(_ => random.Next()).Take(3).ToArray();
            return new Triplet(items[0], items[1], items[2], items[random.Next(3)]);
        }).ToArray();
        var a = TripletAgreement.Bootstrap(rows, triplets, resamples: 500, seed: 9);
        var b = TripletAgreement.Bootstrap(rows, triplets, resamples: 500, seed: 9);
        var other = TripletAgreement.Bootstrap(rows, triplets, resamples: 500, seed: 10);
        Assert.That(a, Is.EqualTo(b));
        Assert.That(a.Score, Is.EqualTo(TripletAgreement.Score(rows, triplets)));
        Assert.That(a.Lower, Is.LessThan(a.Score).And.GreaterThan(a.Score - 0.15));
        Assert.That(a.Upper, Is.GreaterThan(a.Score).And.LessThan(a.Score + 0.15));
        Assert.That((a.Lower, a.Upper), Is.Not.EqualTo((other.Lower, other.Upper)));
        // Binomial standard error sqrt(p(1-p)/n): the 95% interval is about ±1.96 of it.
        double se = Math.Sqrt(a.Score * (1 - a.Score) / triplets.Length);
        Assert.That(a.Upper - a.Lower, Is.EqualTo(2 * 1.96 * se).Within(0.3 * 2 * 1.96 * se));
    }

    [Test]
    public void NoiseCeilingCountsTheMajorityOfRepeatedTriplets()
    {
        Triplet[] judgements =
        [
            new(0, 1, 2, 2, "ann"),
            new(2, 0, 1, 2, "bob"),
            new(1, 2, 0, 1, "cy"),
            new(0, 1, 3, 3, "ann"),
        ];
        var ceiling = TripletNoiseCeiling.Of(judgements)!;
        Assert.That(ceiling.Upper, Is.EqualTo(2.0 / 3).Within(1e-12));
        // Held-out "2" meets a 1-1 tie (credit 1/2, twice); held-out "1" meets two "2"s (credit 0).
        Assert.That(ceiling.Lower, Is.EqualTo(1.0 / 3).Within(1e-12));
        Assert.That((ceiling.RepeatedTriplets, ceiling.Judgements, ceiling.Subjects), Is.EqualTo((1, 3, 3)));
        Assert.That(TripletNoiseCeiling.Repeated(judgements), Has.Count.EqualTo(3));
        Assert.That(TripletNoiseCeiling.Of([judgements[3]]), Is.Null);
    }

    [Test]
    public void JudgedSimilarityIsTheFractionOfSharedTripletsWhereThePairStayed()
    {
        var judged = TripletRsa.JudgedSimilarity([new(0, 1, 2, 2), new(0, 1, 3, 0), new(1, 2, 3, 3)], 5);
        Assert.That(judged[0, 1], Is.EqualTo(0.5));
        Assert.That(judged[1, 0], Is.EqualTo(0.5));
        Assert.That(judged[1, 3], Is.EqualTo(0.5));
        Assert.That(judged[1, 2], Is.EqualTo(0.5));
        Assert.That(judged[0, 2], Is.EqualTo(0));
        Assert.That(double.IsNaN(judged[0, 4]) && double.IsNaN(judged[2, 2]), Is.True);
    }

    [Test]
    public void RsaIsHighForJudgementsMadeByTheEmbeddingAndUsesOnlyJudgedPairs()
    {
        var embedding = TestData.ToMatrix(TestData.Gaussian(12, 3, 5));
        var all = new List<Triplet>();
        for (int i = 0; i < 12; i++)
            for (int j = i + 1; j < 12; j++)
                for (int k = j + 1; k < 12; k++)
                {
                    var t = new Triplet(i, j, k, 0);
                    all.Add(t with { Odd = TripletAgreement.OddOneOut(embedding, t) });
                }
        var rsa = TripletRsa.Score(embedding, all);
        Assert.That(rsa.Pairs, Is.EqualTo(12 * 11 / 2));
        Assert.That(rsa.Score, Is.GreaterThan(0.8));
        var shuffled = TestData.ToMatrix(TestData.Gaussian(12, 3, 6));
        Assert.That(TripletRsa.Score(shuffled, all).Score, Is.LessThan(0.5));
        Assert.That(TripletRsa.Score(embedding, all.Take(1).ToArray()).Pairs, Is.EqualTo(3));
    }
}
