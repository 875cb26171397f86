using Microsoft.Extensions.Logging;

namespace SaeAlign.Worker;

/// <summary>
/// An exclusive lock on one output folder, held while a job works on it, so that two executions of
/// the same job (a duplicate spec, or a retry while a cut-off worker is still running) never write it
/// at once. It is an OS file lock (flock on Linux): the kernel drops it when the holder dies, even by SIGKILL.
/// </summary>
internal sealed class OutputLock : IDisposable
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromMilliseconds(250);
    private readonly FileStream stream;

    private OutputLock(FileStream stream) => this.stream = stream;

    public static async Task<OutputLock> AcquireAsync(string path, ILogger log, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        bool reported = false;
        while (true)
        {
            try
            {
                return new OutputLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
            }
            catch (IOException) when (File.Exists(path))
            {
                if (!reported) log.LogInformation("Another execution holds {Lock}; waiting for it.", path);
                reported = true;
                await Task.Delay(RetryDelay, cancellationToken);
            }
        }
    }

    public void Dispose() => stream.Dispose();
}
