using SaeAlign.Alignment;

namespace SaeAlign.Alignment.Tests;

/// <summary>
/// The certified (candidate + pricing) solvers against the dense ones. Optima need not be unique, so the check is
/// the optimal integer cost; plans are compared through a test score only where the optimum is unique.
/// </summary>
public class CertifiedTransportTests
{
    public enum Kind { Continuous, Ties, DuplicateColumns, ConstantColumns }

    private static readonly CertifiedTransportOptions Adversarial = new() { TopK = 0, ViolatorsPerRow = 1 };

    private static Matrix Correlation(int a, int b, Kind kind, int seed)
    {
        var random = new Random(seed);
        var m = new Matrix(a, b);
        for (int i = 0; i < a; i++)
            for (int j = 0; j < b; j++)
                m[i, j] = kind == Kind.Ties ? random.Next(-2, 3) / 2.0 : 2 * random.NextDouble() - 1;
        if (kind == Kind.DuplicateColumns)
            for (int i = 0; i < a; i++)
                for (int j = 1; j < b; j += 2) m[i, j] = m[i, j - 1];
        if (kind == Kind.ConstantColumns)
            for (int i = 0; i < a; i++)
                for (int j = 0; j < b; j += 2) m[i, j] = 0.25;
        return m;
    }

    /// <summary>A planted matching (target j's partner strongly correlated) in uniform noise.</summary>
    private static Matrix Planted(int a, int b, int seed)
    {
        var random = new Random(seed);
        var m = new Matrix(a, b);
        for (int k = 0; k < m.Data.Length; k++) m.Data[k] = 0.6 * random.NextDouble() - 0.3;
        var sources = Enumerable.Range(0, a).OrderBy(_ => random.Next()).ToArray();
        for (int j = 0; j < Math.Min(a, b); j++) m[sources[j], j] = 0.7 + 0.3 * random.NextDouble();
        return m;
    }

    private static CorrelationRows Rows(Matrix m) =>
        (first, sources, into) => m.Data.AsSpan(first * m.Columns, sources * m.Columns).CopyTo(into.Span);

    /// <summary>Σ c_ij · flow_ij with flow = P · a · b, the dense solver's integer objective.</summary>
    private static long SoftCost(IEnumerable<(int Source, int Target, double Mass)> plan, Matrix corr) =>
        plan.Sum(e => IntegerCost.Of(corr[e.Source, e.Target]) * (long)Math.Round(e.Mass * corr.Rows * corr.Columns));

    private static IEnumerable<(int Source, int Target, double Mass)> Entries(SoftMatchingFit fit)
    {
        for (int i = 0; i < fit.Plan.Rows; i++)
            for (int j = 0; j < fit.Plan.Columns; j++)
                if (fit.Plan[i, j] != 0) yield return (i, j, fit.Plan[i, j]);
    }

    private static long PairCost(IEnumerable<(int Source, int Target)> pairs, Matrix corr) =>
        pairs.Sum(p => IntegerCost.Of(corr[p.Source, p.Target]));

    private static void AssertMarginals(SparsePlan plan, int a, int b)
    {
        for (int i = 0; i < a; i++)
            Assert.That(plan.Entries.Where(e => e.Source == i).Sum(e => e.Mass), Is.EqualTo(1.0 / a).Within(1e-12), $"row {i}");
        for (int j = 0; j < b; j++)
            Assert.That(plan.Entries.Where(e => e.Target == j).Sum(e => e.Mass), Is.EqualTo(1.0 / b).Within(1e-12), $"column {j}");
        Assert.That(plan.Entries.All(e => e.Mass > 0));
    }

    private static void AssertMatching(IReadOnlyList<(int Source, int Target)> pairs, int a, int b)
    {
        int small = Math.Min(a, b);
        Assert.That(pairs, Has.Count.EqualTo(small));
        Assert.That(pairs.Select(p => p.Source).Distinct().Count(), Is.EqualTo(small));
        Assert.That(pairs.Select(p => p.Target).Distinct().Count(), Is.EqualTo(small));
        Assert.That(pairs.All(p => p.Source >= 0 && p.Source < a && p.Target >= 0 && p.Target < b));
    }

    /// <summary>Every a, b in 1..6, from the default candidates and from the feasibility seeds alone.</summary>
    private static void ForEachSmallCase(Kind kind, Action<int, int, Matrix, CertifiedTransportOptions> check)
    {
        for (int a = 1; a <= 6; a++)
            for (int b = 1; b <= 6; b++)
                foreach (var options in new[] { new CertifiedTransportOptions(), Adversarial })
                    check(a, b, Correlation(a, b, kind, 100 * a + b), options);
    }

    [TestCase(Kind.Continuous)]
    [TestCase(Kind.Ties)]
    [TestCase(Kind.DuplicateColumns)]
    [TestCase(Kind.ConstantColumns)]
    public void SmallSoftPlansReachTheDenseOptimum(Kind kind) => ForEachSmallCase(kind, (a, b, corr, options) =>
    {
        var plan = CertifiedTransport.SoftPlan(a, b, Rows(corr), options: options);
        Assert.That(SoftCost(plan.Entries, corr), Is.EqualTo(SoftCost(Entries(SoftMatching.Fit(corr)), corr)), $"{a} x {b}, TopK {options.TopK}");
        AssertMarginals(plan, a, b);
    });

    [TestCase(Kind.Continuous)]
    [TestCase(Kind.Ties)]
    [TestCase(Kind.DuplicateColumns)]
    [TestCase(Kind.ConstantColumns)]
    public void SmallOneToOneMatchingsReachTheDenseOptimum(Kind kind) => ForEachSmallCase(kind, (a, b, corr, options) =>
    {
        var pairs = CertifiedTransport.OneToOnePairs(a, b, Rows(corr), options: options).Pairs;
        Assert.That(PairCost(pairs, corr), Is.EqualTo(PairCost(OneToOneMatching.Fit(corr).Pairs, corr)), $"{a} x {b}, TopK {options.TopK}");
        AssertMatching(pairs, a, b);
    });

    [TestCase(300, 200, 0)]
    [TestCase(250, 250, 0)]
    [TestCase(200, 300, 0)]
    [TestCase(300, 200, 1)]
    [TestCase(250, 250, 16)]
    public void MediumSoftPlansEqualTheDenseSolverFromPoorStarts(int a, int b, int topK)
    {
        var corr = Planted(a, b, a + b);
        var dense = SoftMatching.Fit(corr);
        var plan = CertifiedTransport.SoftPlan(a, b, Rows(corr), options: new() { TopK = topK });
        Assert.That(SoftCost(plan.Entries, corr), Is.EqualTo(SoftCost(Entries(dense), corr)));
        AssertMarginals(plan, a, b);
        // TopK 0 starts from the north-west corner alone, which pricing must repair.
        if (topK == 0) Assert.That(plan.Certificate.ArcsAdded, Is.GreaterThan(0));
        Assert.That(plan.Certificate.Rounds > 1, Is.EqualTo(plan.Certificate.ArcsAdded > 0), "each added batch costs one more solve");
    }

    [TestCase(300, 200, 0)]
    [TestCase(250, 250, 0)]
    [TestCase(200, 300, 0)]
    [TestCase(300, 200, 1)]
    [TestCase(250, 250, 16)]
    public void MediumMatchingsEqualTheDenseSolverFromPoorStarts(int a, int b, int topK)
    {
        var corr = Planted(a, b, a * b);
        var dense = OneToOneMatching.Fit(corr);
        var fit = CertifiedTransport.OneToOnePairs(a, b, Rows(corr), options: new() { TopK = topK });
        Assert.That(PairCost(fit.Pairs, corr), Is.EqualTo(PairCost(dense.Pairs, corr)));
        AssertMatching(fit.Pairs, a, b);
        // TopK 0 starts from the diagonal alone, which pricing must repair.
        if (topK == 0) Assert.That(fit.Certificate.ArcsAdded, Is.GreaterThan(0));
    }

    [TestCase(300, 200)]
    [TestCase(250, 250)]
    public void UniqueOptimaGiveTheDenseSolversTestScores(int a, int b)
    {
        // Continuous random correlations: the optimum is unique, so the plans themselves agree.
        var fitCorr = Correlation(a, b, Kind.Continuous, 7);
        var testCorr = Correlation(a, b, Kind.Continuous, 8);
        var plan = CertifiedTransport.SoftPlan(a, b, Rows(fitCorr));
        Assert.That(plan.Score((i, j) => testCorr[i, j]), Is.EqualTo(SoftMatching.Fit(fitCorr).Score(testCorr)).Within(1e-12));
        var pairs = CertifiedTransport.OneToOnePairs(a, b, Rows(fitCorr)).Pairs;
        Assert.That(pairs, Is.EqualTo(OneToOneMatching.Fit(fitCorr).Pairs));
    }

    [TestCase(1000)]
    [TestCase(50)]
    public void TheCallbackIsNeverAskedForMoreThanTheBlockBudget(long budget)
    {
        const int a = 120, b = 200;
        var corr = Planted(a, b, 3);
        int calls = 0;
        CorrelationRows rows = (first, sources, into) =>
        {
            calls++;
            // A block is whole rows: a budget below one row still gets one row at a time.
            Assert.That(sources, Is.LessThanOrEqualTo(Math.Max(1, budget / b)));
            Assert.That(into.Length, Is.EqualTo(sources * b));
            Rows(corr)(first, sources, into);
        };
        var options = new CertifiedTransportOptions { BlockDoubles = budget, TopK = 2 };
        var plan = CertifiedTransport.SoftPlan(a, b, rows, options: options);
        Assert.That(SoftCost(plan.Entries, corr), Is.EqualTo(SoftCost(Entries(SoftMatching.Fit(corr)), corr)));
        var pairs = CertifiedTransport.OneToOnePairs(a, b, rows, options: options).Pairs;
        Assert.That(PairCost(pairs, corr), Is.EqualTo(PairCost(OneToOneMatching.Fit(corr).Pairs, corr)));
        Assert.That(calls, Is.GreaterThan(2 * a / Math.Max(1, budget / b)));
    }

    [Test]
    public void GivenCandidatesAreUsedAndChecked()
    {
        var corr = Planted(40, 30, 5);
        var dense = OneToOneMatching.Fit(corr).Pairs;
        var fit = CertifiedTransport.OneToOnePairs(40, 30, Rows(corr), dense, new() { TopK = 0 });
        Assert.That(PairCost(fit.Pairs, corr), Is.EqualTo(PairCost(dense, corr)));
        Assert.That(() => CertifiedTransport.SoftPlan(40, 30, Rows(corr), [(40, 0)]), Throws.InstanceOf<ArgumentOutOfRangeException>());
        Assert.That(() => CertifiedTransport.OneToOnePairs(40, 30, Rows(corr), [(0, -1)]), Throws.InstanceOf<ArgumentOutOfRangeException>());
    }

    [Test]
    public void CancellationIsHonoured()
    {
        var corr = Planted(60, 60, 9);
        using var source = new CancellationTokenSource();
        CorrelationRows cancelling = (first, sources, into) =>
        {
            source.Cancel();
            Rows(corr)(first, sources, into);
        };
        var options = new CertifiedTransportOptions { BlockDoubles = 600 };
        Assert.That(() => CertifiedTransport.SoftPlan(60, 60, cancelling, options: options, ct: source.Token),
            Throws.InstanceOf<OperationCanceledException>());
        Assert.That(() => CertifiedTransport.OneToOnePairs(60, 60, cancelling, options: options, ct: source.Token),
            Throws.InstanceOf<OperationCanceledException>());
    }
}
