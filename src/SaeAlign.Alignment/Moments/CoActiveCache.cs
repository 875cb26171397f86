using System.Collections.Concurrent;

namespace SaeAlign.Alignment;

/// <summary>
/// The fit correlations of co-active pairs, source row by source row, for solvers that ask for the same rows again
/// and again (the certified transport prices every pair once per round). Recomputing a row costs the cross sums of
/// its source; a cached row costs 12 bytes per co-active pair. Rows are kept while the cache stays within
/// <see cref="Budget"/> bytes and recomputed beyond it, so memory stays bounded at any width and the values are
/// the same either way.
/// </summary>
public sealed class CoActiveCache(long budget)
{
    private readonly ConcurrentDictionary<int, (int[] Targets, double[] Correlations)> rows = new();
    private long bytes;

    public long Budget { get; } = budget;

    public bool TryGet(int source, out int[] targets, out double[] correlations)
    {
        bool found = rows.TryGetValue(source, out var row);
        (targets, correlations) = row;
        return found;
    }

    /// <summary>Whether a row of <paramref name="pairs"/> pairs would still fit (worth building it for <see cref="Offer"/>).</summary>
    public bool HasRoom(int pairs) => Volatile.Read(ref bytes) + Size(pairs) <= Budget;

    /// <summary>Keeps the row when it fits the budget.</summary>
    public void Offer(int source, int[] targets, double[] correlations)
    {
        long size = Size(targets.Length);
        if (Interlocked.Add(ref bytes, size) > Budget)
        {
            Interlocked.Add(ref bytes, -size);
            return;
        }
        rows[source] = (targets, correlations);
    }

    private static long Size(int pairs) => 12L * pairs + 64;
}
