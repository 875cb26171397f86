using System.Text.Json.Nodes;
using Hangfire;
using Hangfire.Server;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SaeAlign.Core;
using SaeAlign.Data;
using SaeAlign.Torch;

namespace SaeAlign.Worker;

/// <summary>
/// The one Hangfire job method: re-validates the spec against this worker's data root (the enqueuing
/// machine may mount it elsewhere, and links may have changed), completes at once when the output
/// already exists, and otherwise runs the job type under an output lock with its own log file.
/// </summary>
public sealed class JobExecutor(JobTypeRegistry types, IOptions<WorkerOptions> options, ILogger<JobExecutor> logger)
{
    /// <summary>The job's log inside its run folder.</summary>
    public const string LogFileName = "job.log";

    /// <summary>The folder of a chain's stage logs (<c>STAGE.log</c>) inside its run folder.</summary>
    public const string StageLogFolder = "logs";

    /// <summary>
    /// Runs one job. Hangfire supplies <paramref name="context"/> and <paramref name="cancellationToken"/>
    /// (cancelled when the worker stops, which gives the job back to the queue, or when the job is
    /// deleted). Bad input fails at once; other errors are retried a few times.
    /// </summary>
    [JobDisplayName("{0}")]
    [AutomaticRetry(Attempts = 3, DelaysInSeconds = [5, 30, 120], ExceptOn = [typeof(InvalidInputException)], OnAttemptsExceeded = AttemptsExceededAction.Fail)]
    public async Task RunAsync(string title, string type, string spec, PerformContext? context, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var root = new DataRoot(settings.DataRoot);
        var jobType = types.Get(type);
        var fields = JsonNode.Parse(spec)!.AsObject();
        string device = JobDevice.Effective(JobDevice.Take(fields), settings.Device);
        var plan = jobType.Plan(fields, root);
        string output = root.Resolve(plan.Output, "out");
        string jobId = context?.BackgroundJob.Id ?? "direct";
        using var scope = logger.BeginScope("job {JobId}", jobId);

        using var outputLock = await OutputLock.AcquireAsync(output + ".lock", logger, cancellationToken);
        if (IsComplete(output))
        {
            logger.LogInformation("Job {JobId} ({Title}): the output already exists; nothing to do.", jobId, title);
            return;
        }
        RemoveStaleStaging(output, logger);

        // A stage's log waits in HASH.logs/ and moves into the run folder after the chain's last stage: inside HASH.work,
        // which becomes the run folder, the last stage's log would be hashed into the manifest while still being written.
        string logPath = plan.Stage is null ? output + ".log" : Path.Combine(output + "." + StageLogFolder, plan.Stage + ".log");
        Directory.CreateDirectory(Path.GetDirectoryName(logPath)!);
        using (var log = new JobLog(logPath, logger))
        {
            log.LogInformation("Job {JobId} ({Title}) started on {Machine} (process {Process}), torch threads {Threads}, device {Device}.",
                jobId, plan.Title, Environment.MachineName, Environment.ProcessId, settings.TorchThreads, device);
            try
            {
                TorchRuntime.Configure(settings.TorchThreads);
                var run = new JobRun(output, root, log, settings.TorchThreads) { DeviceSpec = device };
                await jobType.RunAsync(plan, run, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                log.LogWarning("Job {JobId} stopped: the worker is shutting down or the job was cancelled; nothing was written under {Output}.", jobId, output);
                throw;
            }
            catch (Exception e)
            {
                log.LogError(e, "Job {JobId} failed.", jobId);
                throw;
            }
            log.LogInformation("Job {JobId} done: {Output}.", jobId, plan.Output);
        }
        if (plan.Stage is null) File.Move(logPath, Path.Combine(output, LogFileName), overwrite: true);
        else if (Directory.Exists(output)) Directory.Move(output + "." + StageLogFolder, Path.Combine(output, StageLogFolder));
    }

    /// <summary>
    /// True when <paramref name="output"/> is a committed run folder whose files match its manifest.
    /// A folder there that is not one is bad input: the job refuses to overwrite what it did not write.
    /// </summary>
    public static bool IsComplete(string output)
    {
        if (!Directory.Exists(output)) return false;
        var manifest = RunFolder.Read(output);
        InvalidInputException.Require(RunFolder.FilesIntact(output, manifest),
            $"{output} exists but its files do not match its manifest; delete the folder to run the job again.");
        return true;
    }

    /// <summary>
    /// Staging folders of executions that died (SIGKILL, power loss); safe to remove while the output lock is held. Broader than
    /// <see cref="RunFolder.Create"/>'s own clean-up, which keeps what a live process may own: the lock proves the owner gone
    /// even when it ran on another machine sharing the data root.
    /// </summary>
    internal static void RemoveStaleStaging(string output, ILogger logger)
    {
        string parent = Path.GetDirectoryName(output)!;
        if (!Directory.Exists(parent)) return;
        foreach (string stale in Directory.EnumerateDirectories(parent, Path.GetFileName(output) + ".partial-*"))
        {
            logger.LogInformation("Removing {Stale}, left by an execution that did not finish.", stale);
            Directory.Delete(stale, recursive: true);
        }
    }
}
