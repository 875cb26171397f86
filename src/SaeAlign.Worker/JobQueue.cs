using System.Linq.Expressions;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Hangfire;
using Hangfire.States;
using Hangfire.Storage;
using Hangfire.Storage.Monitoring;
using SaeAlign.Core;

namespace SaeAlign.Worker;

/// <summary>A queued job as <c>saealign jobs enqueue</c> reports it; a pipeline's stages each have one, named by <paramref name="Stage"/>.</summary>
public sealed record QueuedJob(string Id, string Type, string Output, string ConfigHash, string Queue, string? Stage = null);

/// <summary>One job in a listing: its id, current state and title (type and output folder).</summary>
public sealed record JobSummary(string Id, string State, string Title, DateTime? Time);

/// <summary>
/// A job's details: current state (with the reason or error), its spec, its state history (newest first), and for
/// an awaiting job of a chain, the job it waits for.
/// </summary>
public sealed record JobStatus(string Id, string State, string? Reason, string? Error, string Title, JsonObject? Spec, IReadOnlyList<JobStateChange> History,
    string? Parent = null);

public sealed record JobStateChange(string State, DateTime Time, string? Reason);

/// <summary>
/// The client side of the job store: enqueue validated jobs, list them, show one, cancel one. Works
/// on any Hangfire storage; with PostgreSQL every machine sharing the database sees the same jobs.
/// </summary>
public sealed partial class JobQueue(JobStorage storage)
{
    public const string DefaultQueue = "default";
    private const int PerState = 500;
    private static readonly string[] ListedStates = ["Enqueued", "Processing", "Scheduled", "Awaiting", "Failed", "Succeeded", "Deleted"];
    // Hangfire's index of awaiting jobs, which every storage keeps (not all of them list it through the monitoring API).
    private const string AwaitingSet = "awaiting";

    /// <summary>Hangfire's rule for queue names: lower-case letters, digits, underscores and dashes.</summary>
    public static void ValidateQueueName(string queue, string option) =>
        InvalidInputException.Require(QueueName().IsMatch(queue),
            $"{option}: '{queue}' is not a queue name (lower-case letters, digits, '_' and '-').");

    /// <summary>
    /// Enqueues every plan (already validated as a whole) on <paramref name="queue"/>. A pipeline becomes the chain of its
    /// stages (<see cref="PipelineStageJob.Chain"/>): each stage a continuation of the one before, queued once that one succeeded.
    /// </summary>
    public IReadOnlyList<QueuedJob> Enqueue(IReadOnlyList<JobPlan> plans, string queue = DefaultQueue)
    {
        ValidateQueueName(queue, "--queue");
        var client = new BackgroundJobClient(storage);
        var queued = new List<QueuedJob>();
        foreach (var plan in plans)
        {
            string? parent = null;
            IReadOnlyList<JobPlan> chain = plan.Type == PipelineJob.Kind ? PipelineStageJob.Chain(plan) : [plan];
            foreach (var job in chain)
            {
                string spec = JobDevice.With(job.Spec, plan.Device).ToJsonString();
                Expression<Func<JobExecutor, Task>> run = x => x.RunAsync(job.Title, job.Type, spec, null, CancellationToken.None);
                parent = parent is null
                    ? client.Create(run, new EnqueuedState(queue))
                    : client.ContinueJobWith(parent, run, new EnqueuedState(queue), JobContinuationOptions.OnlyOnSucceededState);
                queued.Add(new QueuedJob(parent, job.Type, job.Output, job.ConfigHash, queue, job.Stage));
            }
        }
        return queued;
    }

    /// <summary>Jobs by state (the newest few hundred of each), newest first within a state.</summary>
    public IReadOnlyList<JobSummary> List()
    {
        var monitoring = storage.GetMonitoringApi();
        var jobs = new List<JobSummary>();
        foreach (var queue in monitoring.Queues())
            jobs.AddRange(monitoring.EnqueuedJobs(queue.Name, 0, PerState).Select(j => Summary(j.Key, j.Value.State ?? "Enqueued", j.Value.Job, j.Value.EnqueuedAt)));
        jobs.AddRange(monitoring.ProcessingJobs(0, PerState).Select(j => Summary(j.Key, "Processing", j.Value.Job, j.Value.StartedAt)));
        jobs.AddRange(monitoring.ScheduledJobs(0, PerState).Select(j => Summary(j.Key, "Scheduled", j.Value.Job, j.Value.EnqueueAt)));
        using (var connection = storage.GetConnection())
        {
            jobs.AddRange(connection.GetAllItemsFromSet(AwaitingSet).Take(PerState)
                .Select(id => (Id: id, Data: connection.GetJobData(id)))
                .Where(j => j.Data?.State == AwaitingState.StateName)
                .Select(j => Summary(j.Id, AwaitingState.StateName, j.Data.Job, j.Data.CreatedAt)));
        }
        jobs.AddRange(monitoring.FailedJobs(0, PerState).Select(j => Summary(j.Key, "Failed", j.Value.Job, j.Value.FailedAt)));
        jobs.AddRange(monitoring.SucceededJobs(0, PerState).Select(j => Summary(j.Key, "Succeeded", j.Value.Job, j.Value.SucceededAt)));
        jobs.AddRange(monitoring.DeletedJobs(0, PerState).Select(j => Summary(j.Key, "Deleted", j.Value.Job, j.Value.DeletedAt)));
        return jobs.DistinctBy(j => j.Id)
            .OrderBy(j => Array.IndexOf(ListedStates, j.State) is var i && i < 0 ? ListedStates.Length : i)
            .ThenByDescending(j => j.Time)
            .ToArray();
    }

    /// <summary>The job's status, or null when the store has no job with that id.</summary>
    public JobStatus? Status(string id)
    {
        JobDetailsDto? details;
        try
        {
            details = storage.GetMonitoringApi().JobDetails(id);
        }
        catch (FormatException)
        {
            return null;
        }
        if (details is null) return null;
        using var connection = storage.GetConnection();
        var state = connection.GetStateData(id);
        var history = details.History.Select(h => new JobStateChange(h.StateName, h.CreatedAt, h.Reason)).ToArray();
        string? error = state?.Data is { } data && data.TryGetValue("ExceptionMessage", out var message) ? message : null;
        string? parent = state?.Name == AwaitingState.StateName && state.Data.TryGetValue("ParentId", out var parentId) ? parentId : null;
        JsonObject? spec = details.Job?.Args is [_, _, string json, ..] ? JsonNode.Parse(json) as JsonObject : null;
        return new JobStatus(id, state?.Name ?? history.FirstOrDefault()?.State ?? "unknown", state?.Reason ?? (parent is null ? null : $"waits for job {parent}"),
            error, Title(details.Job), spec, history, parent);
    }

    /// <summary>
    /// Cancels a job: a queued one never runs; a running one has its cancellation token signalled
    /// (workers check every few seconds) and writes nothing. Hangfire deletes the continuations of a deleted
    /// job, so the rest of its chain goes with it. False when the job is unknown or already finished.
    /// </summary>
    public bool Cancel(string id)
    {
        var status = Status(id);
        if (status is null || status.State == SucceededState.StateName || status.State == DeletedState.StateName) return false;
        return new BackgroundJobClient(storage).ChangeState(id, new DeletedState { Reason = "cancelled with saealign jobs cancel" });
    }

    /// <summary>True for the states a job does not leave by itself: succeeded, failed (retries used up) or deleted (cancelled).</summary>
    public static bool IsFinished(string state) =>
        state == SucceededState.StateName || state == FailedState.StateName || state == DeletedState.StateName;

    /// <summary>
    /// True when the job will not change state by itself: it finished, or it awaits a job that will never succeed
    /// (failed for good, deleted, or itself awaiting such a job). Hangfire keeps a failed job's continuations
    /// awaiting, so that retrying the failed job (from Hangfire's dashboard) would resume the chain.
    /// </summary>
    public bool IsSettled(JobStatus status) => IsFinished(status.State)
        || status.Parent is { } parent && (Status(parent) is not { } awaited || awaited.State != SucceededState.StateName && IsSettled(awaited));

    private static JobSummary Summary(string id, string state, Hangfire.Common.Job? job, DateTime? time) => new(id, state, Title(job), time);

    private static string Title(Hangfire.Common.Job? job) => job?.Args is [string title, ..] ? title : "(not a SaeAlign job)";

    [GeneratedRegex("^[a-z0-9_-]+$")]
    private static partial Regex QueueName();
}
