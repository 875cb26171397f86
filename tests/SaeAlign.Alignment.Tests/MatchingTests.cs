using Google.OrTools.LinearSolver;
using SaeAlign.Alignment;

namespace SaeAlign.Alignment.Tests;

/// <summary>The exact solvers against independent computations on tiny problems.</summary>
public class MatchingTests
{
    private static Matrix RandomCorrelation(int a, int b, int seed)
    {
        var random = new Random(seed);
        var m = new Matrix(a, b);
        for (int k = 0; k < m.Data.Length; k++) m.Data[k] = 2 * random.NextDouble() - 1;
        return m;
    }

    private static IEnumerable<int[]> Permutations(int[] items)
    {
        if (items.Length <= 1) { yield return items; yield break; }
        for (int i = 0; i < items.Length; i++)
            foreach (var rest in Permutations(items.Where((_, k) => k != i).ToArray()))
                yield return [items[i], .. rest];
    }

    [TestCase(4, 4, 1)]
    [TestCase(3, 6, 2)]
    [TestCase(6, 3, 3)]
    [TestCase(5, 5, 4)]
    public void OneToOneEqualsBruteForceOverAllMatchings(int a, int b, int seed)
    {
        var corr = RandomCorrelation(a, b, seed);
        int small = Math.Min(a, b), large = Math.Max(a, b);
        double best = double.NegativeInfinity;
        // Every injective map of the smaller side into the larger: the first `small` entries of each permutation.
        foreach (var perm in Permutations(Enumerable.Range(0, large).ToArray()))
        {
            double sum = 0;
            for (int s = 0; s < small; s++) sum += a <= b ? corr[s, perm[s]] : corr[perm[s], s];
            best = Math.Max(best, sum / small);
        }
        var fit = OneToOneMatching.Fit(corr);
        Assert.That(fit.Pairs, Has.Count.EqualTo(small));
        Assert.That(fit.Pairs.Select(p => p.Source).Distinct().Count(), Is.EqualTo(small));
        Assert.That(fit.Pairs.Select(p => p.Target).Distinct().Count(), Is.EqualTo(small));
        Assert.That(fit.Score(corr), Is.EqualTo(best).Within(1e-8));
    }

    [TestCase(3, 5, 5)]
    [TestCase(4, 2, 6)]
    [TestCase(4, 6, 7)]
    public void SoftEqualsTheTransportLinearProgram(int a, int b, int seed)
    {
        var corr = RandomCorrelation(a, b, seed);
        using var solver = Solver.CreateSolver("GLOP");
        var p = new Variable[a, b];
        for (int i = 0; i < a; i++) for (int j = 0; j < b; j++) p[i, j] = solver.MakeNumVar(0, 1, $"p{i}_{j}");
        for (int i = 0; i < a; i++)
        {
            var row = solver.MakeConstraint(1.0 / a, 1.0 / a);
            for (int j = 0; j < b; j++) row.SetCoefficient(p[i, j], 1);
        }
        for (int j = 0; j < b; j++)
        {
            var column = solver.MakeConstraint(1.0 / b, 1.0 / b);
            for (int i = 0; i < a; i++) column.SetCoefficient(p[i, j], 1);
        }
        var objective = solver.Objective();
        for (int i = 0; i < a; i++) for (int j = 0; j < b; j++) objective.SetCoefficient(p[i, j], 1 - corr[i, j]);
        objective.SetMinimization();
        Assert.That(solver.Solve(), Is.EqualTo(Solver.ResultStatus.OPTIMAL));

        var fit = SoftMatching.Fit(corr);
        Assert.That(1 - fit.Score(corr), Is.EqualTo(objective.Value()).Within(1e-8));
        for (int i = 0; i < a; i++)
            Assert.That(Enumerable.Range(0, b).Sum(j => fit.Plan[i, j]), Is.EqualTo(1.0 / a).Within(1e-12));
        for (int j = 0; j < b; j++)
            Assert.That(Enumerable.Range(0, a).Sum(i => fit.Plan[i, j]), Is.EqualTo(1.0 / b).Within(1e-12));
    }

    [TestCase(5, 8)]
    [TestCase(7, 9)]
    public void SoftEqualsOneToOneForSquareProblems(int n, int seed)
    {
        // With a = b the transport polytope's vertices are permutations / n (Birkhoff), so the optimum is a matching.
        var corr = RandomCorrelation(n, n, seed);
        Assert.That(SoftMatching.Fit(corr).Score(corr), Is.EqualTo(OneToOneMatching.Fit(corr).Score(corr)).Within(1e-9));
    }

    [Test]
    public void SemiTakesTheBestSourceForEachTarget()
    {
        var corr = Matrix.FromRows([[0.1, 0.9, -0.2], [0.5, 0.3, -0.1], [0.4, 0.95, -0.3]]);
        var fit = SemiMatching.Fit(corr);
        Assert.That(fit.SourceOfTarget, Is.EqualTo(new[] { 1, 2, 1 }));
        Assert.That(fit.Score(corr), Is.EqualTo((0.5 + 0.95 - 0.1) / 3).Within(1e-15));
    }
}
