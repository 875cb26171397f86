using System.Runtime.ExceptionServices;

namespace SaeAlign.Pipelines;

/// <summary>Independent work items on up to N threads, results in item order, the first failure rethrown as itself (not an AggregateException).</summary>
internal static class Concurrently
{
    public static T[] Map<T>(int count, int parallelism, CancellationToken ct, Func<int, T> work)
    {
        var results = new T[count];
        try
        {
            Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, parallelism), CancellationToken = ct },
                i => results[i] = work(i));
        }
        catch (AggregateException e) when (e.InnerExceptions.Count > 0)
        {
            ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
        }
        return results;
    }
}
