using System.Globalization;
using Microsoft.Extensions.Logging;

namespace SaeAlign.Worker;

/// <summary>
/// A job's logger: every entry goes to the worker's log and, as a timestamped line, to the job's own
/// log file (which lands in the run folder when the job succeeds).
/// </summary>
internal sealed class JobLog(string path, ILogger inner) : ILogger, IDisposable
{
    private readonly StreamWriter writer = new(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read)) { AutoFlush = true };
    private readonly Lock gate = new();

    public string Path { get; } = path;

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => inner.BeginScope(state);

    public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        inner.Log(logLevel, eventId, state, exception, formatter);
        string line = string.Create(CultureInfo.InvariantCulture, $"{DateTimeOffset.UtcNow:yyyy-MM-ddTHH:mm:ss.fffZ} {logLevel,-11} {formatter(state, exception)}");
        lock (gate)
        {
            writer.WriteLine(line);
            if (exception is not null) writer.WriteLine(exception);
        }
    }

    public void Dispose() => writer.Dispose();
}
