namespace SaeAlign.Core.Tests;

/// <summary>The assignment problem against brute force over every matching.</summary>
public class LinearAssignmentTests
{
    [Test]
    public void AHandCheckableCaseTakesTheCheapestMatching()
    {
        // Greedy would take (0, 0) at cost 1 and pay 10 for the rest; the best matching is (0, 1), (1, 0): 2 + 2.
        double[] cost = [1, 2, 2, 10];
        Assert.That(LinearAssignment.Minimize(cost, 2, 2), Is.EqualTo(new[] { 1, 0 }));
    }

    [TestCase(5, 5, 1)]
    [TestCase(4, 7, 2)]
    [TestCase(7, 4, 3)]
    [TestCase(1, 6, 4)]
    public void TheMatchingCostsWhatTheBestOfAllMatchingsCosts(int rows, int columns, int seed)
    {
        var random = new Random(seed);
        for (int trial = 0; trial < 20; trial++)
        {
            var cost = Enumerable.Range(0, rows * columns).Select(_ => Math.Round(random.NextDouble() * 10, 1)).ToArray();
            var assignment = LinearAssignment.Minimize(cost, rows, columns);
            var used = assignment.Where(c => c >= 0).ToArray();
            Assert.That(used, Has.Length.EqualTo(Math.Min(rows, columns)));
            Assert.That(used, Is.Unique);
            double total = assignment.Select((c, r) => c < 0 ? 0 : cost[r * columns + c]).Sum();
            Assert.That(total, Is.EqualTo(BruteForce(cost, rows, columns)).Within(1e-9));
        }
    }

    /// <summary>The least cost over every one-to-one matching of min(rows, columns) pairs.</summary>
    private static double BruteForce(double[] cost, int rows, int columns)
    {
        double best = double.PositiveInfinity;
        bool transpose = rows > columns;
        int small = Math.Min(rows, columns), large = Math.Max(rows, columns);
        double At(int i, int j) => transpose ? cost[j * columns + i] : cost[i * columns + j];
        void Search(int i, bool[] taken, double sum)
        {
            if (sum >= best) return;
            if (i == small)
            {
                best = sum;
                return;
            }
            for (int j = 0; j < large; j++)
            {
                if (taken[j]) continue;
                taken[j] = true;
                Search(i + 1, taken, sum + At(i, j));
                taken[j] = false;
            }
        }
        Search(0, new bool[large], 0);
        return best;
    }
}
