using System.Globalization;
using Hangfire;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SaeAlign.Worker;

namespace SaeAlign.Bench;

/// <summary>The worker benchmarks' shared parts: fresh data roots, and a spec's jobs run to the end on the embedded store.</summary>
internal sealed class QueuedJobs : IDisposable
{
    private readonly List<string> folders = [];

    public string NewFolder()
    {
        string folder = Path.Combine(Path.GetTempPath(), "saealign-bench", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        folders.Add(folder);
        return folder;
    }

    /// <summary>Queues <paramref name="spec"/> in a new data root and runs a worker with <paramref name="concurrency"/> slots until its jobs finish.</summary>
    public async Task RunAsync(string spec, int concurrency)
    {
        string root = NewFolder();
        using var host = WorkerHost.Build(new Dictionary<string, string?>
        {
            ["Worker:DataRoot"] = root,
            ["Worker:Concurrency"] = concurrency.ToString(CultureInfo.InvariantCulture),
            ["Worker:TorchThreads"] = "1",
        }, logging => logging.SetMinimumLevel(LogLevel.Warning));
        var plans = new JobSpecReader(JobTypes.All(), new DataRoot(root)).Read(spec, "bench");
        var queued = new JobQueue(host.Services.GetRequiredService<JobStorage>()).Enqueue(plans);
        await WorkerHost.RunUntilDoneAsync(host, queued.Select(q => q.Id).ToArray(), CancellationToken.None);
    }

    public void Dispose()
    {
        foreach (var folder in folders) Directory.Delete(folder, recursive: true);
    }
}
