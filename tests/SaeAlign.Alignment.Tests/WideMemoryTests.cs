using System.Globalization;
using SaeAlign.Core;

namespace SaeAlign.Alignment.Tests;

/// <summary>
/// The wide case at reduced N (issue 13): 4,096-latent TopK codes on both sides, where the dense route would hold
/// gigabytes of a x b moments, run on the sparse route within a small memory limit, measured as the growth of this
/// process's peak resident memory (VmHWM, reset through /proc/self/clear_refs before the run).
/// </summary>
[NonParallelizable]
public class WideMemoryTests
{
    private const int Rows = 3_000, Latents = 4_096, K = 32, Neurons = 256;
    private const long Limit = 512L << 20;

    /// <summary>k distinct latents per row, a power law over latents as in real SAEs, with positive values.</summary>
    private static SparseCodes TopK(int seed)
    {
        var random = new Random(seed);
        var builder = new SparseCodes.Builder(Latents);
        var units = new SortedSet<int>();
        for (int r = 0; r < Rows; r++)
        {
            units.Clear();
            while (units.Count < K) units.Add((int)(Latents * Math.Pow(random.NextDouble(), 2)));
            builder.AddRow(units.ToArray(), units.Select(_ => 0.1f + (float)random.NextDouble()).ToArray());
        }
        return builder.Build();
    }

    private static SparseCodes Dense(int seed)
    {
        var random = new Random(seed);
        var builder = new SparseCodes.Builder(Neurons);
        var row = new float[Neurons];
        for (int r = 0; r < Rows; r++)
        {
            for (int u = 0; u < Neurons; u++) row[u] = (float)Math.Max(0, random.NextDouble() - 0.3);
            builder.AddDenseRow(row);
        }
        return builder.Build();
    }

    [Test]
    public void WideCodesAlignWithinTheMemoryLimit()
    {
        var options = new AlignmentOptions { Metrics = ["semi", "soft", "cka"], MemoryLimit = Limit };
        long dense = MemoryBudget.Dense(0, 0, Latents, Latents, options.Cv.Folds, options.Metrics);
        Assert.That(dense, Is.GreaterThan(10 * Limit), "the case must be one the dense route could not run");
        var sources = TopK(1);
        var targets = TopK(2);
        var neurons = Dense(3);

        var growth = PeakGrowth(() =>
        {
            foreach (var (x, y) in new[] { (sources, targets), (neurons, targets), (sources, neurons) })
            {
                var report = SparseAlignmentRunner.Run(x, y, options);
                Assert.That(report.Metrics.Select(m => m.Metric), Is.EqualTo(options.Metrics));
                Assert.That(report.Metrics.All(m => double.IsFinite(m.Score) && Math.Abs(m.Score) <= 1), Is.True);
            }
        });
        TestContext.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"peak resident memory grew by {growth / 1e6:F0} MB (dense route: {dense / 1e9:F1} GB)"));
        Assert.That(growth, Is.LessThan(Limit));
    }

    /// <summary>How far <paramref name="work"/> raised the process's peak resident memory above its resident memory before.</summary>
    private static long PeakGrowth(Action work)
    {
        ProcessMemory.Release();
        try
        {
            // "5" resets the high-water mark to the current resident size (Linux 4.0+).
            File.WriteAllText("/proc/self/clear_refs", "5");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Assert.Ignore($"the peak resident memory cannot be reset here ({e.Message}); the test needs Linux procfs.");
        }
        long before = Status("VmRSS:");
        work();
        return Status("VmHWM:") - before;
    }

    private static long Status(string field)
    {
        string line = File.ReadLines("/proc/self/status").First(l => l.StartsWith(field, StringComparison.Ordinal));
        return 1024 * long.Parse(line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
    }
}
