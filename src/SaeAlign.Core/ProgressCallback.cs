namespace SaeAlign.Core;

/// <summary>
/// An <see cref="IProgress{T}"/> that calls its handler on the reporting thread, in order.
/// (<see cref="Progress{T}"/> posts to the thread pool, which reorders reports and outlives the work.)
/// </summary>
public sealed class ProgressCallback<T>(Action<T> handler) : IProgress<T>
{
    public void Report(T value) => handler(value);
}
