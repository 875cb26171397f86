using System.Globalization;
using Hangfire;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace SaeAlign.Worker.Tests;

/// <summary>A worker host on the embedded in-memory store, in this process, over a test's data root.</summary>
internal static class InMemoryWorker
{
    public static IHost Build(TempFolder data, int concurrency = 2) => WorkerHost.Build(new Dictionary<string, string?>
    {
        ["Worker:DataRoot"] = data.Path,
        ["Worker:Concurrency"] = concurrency.ToString(CultureInfo.InvariantCulture),
        ["Worker:TorchThreads"] = "1",
    });

    public static IReadOnlyList<JobPlan> Read(TempFolder data, string spec) =>
        new JobSpecReader(JobTypes.All(), new DataRoot(data.Path)).Read(spec, "spec.json");

    /// <summary>Queues <paramref name="spec"/>'s jobs, runs a worker until all have finished and returns their status.</summary>
    public static async Task<IReadOnlyList<JobStatus>> RunAsync(TempFolder data, string spec, int concurrency = 2)
    {
        var plans = Read(data, spec);
        using var host = Build(data, concurrency);
        var queued = new JobQueue(host.Services.GetRequiredService<JobStorage>()).Enqueue(plans);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        return await WorkerHost.RunUntilDoneAsync(host, queued.Select(q => q.Id).ToArray(), timeout.Token);
    }
}
