using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Hangfire;
using Hangfire.States;
using Hangfire.Storage;
using Hangfire.Storage.Monitoring;
using SaeAlign.Core;

namespace SaeAlign.Worker;

/// <summary>A queued job as <c>saealign jobs enqueue</c> reports it.</summary>
public sealed record QueuedJob(string Id, string Type, string Output, string ConfigHash, string Queue);

/// <summary>One job in a listing: its id, current state and title (type and output folder).</summary>
public sealed record JobSummary(string Id, string State, string Title, DateTime? Time);

/// <summary>A job's details: current state (with the reason or error), its spec, and its state history (newest first).</summary>
public sealed record JobStatus(string Id, string State, string? Reason, string? Error, string Title, JsonObject? Spec, IReadOnlyList<JobStateChange> History);

public sealed record JobStateChange(string State, DateTime Time, string? Reason);

/// <summary>
/// The client side of the job store: enqueue validated jobs, list them, show one, cancel one. Works
/// on any Hangfire storage; with PostgreSQL every machine sharing the database sees the same jobs.
/// </summary>
public sealed partial class JobQueue(JobStorage storage)
{
    public const string DefaultQueue = "default";
    private const int PerState = 500;
    private static readonly string[] ListedStates = ["Enqueued", "Processing", "Scheduled", "Failed", "Succeeded", "Deleted"];

    /// <summary>Hangfire's rule for queue names: lower-case letters, digits, underscores and dashes.</summary>
    public static void ValidateQueueName(string queue, string option) =>
        InvalidInputException.Require(QueueName().IsMatch(queue),
            $"{option}: '{queue}' is not a queue name (lower-case letters, digits, '_' and '-').");

    /// <summary>Enqueues every plan (already validated as a whole) on <paramref name="queue"/>.</summary>
    public IReadOnlyList<QueuedJob> Enqueue(IReadOnlyList<JobPlan> plans, string queue = DefaultQueue)
    {
        ValidateQueueName(queue, "--queue");
        var client = new BackgroundJobClient(storage);
        return plans.Select(plan =>
        {
            string spec = plan.Spec.ToJsonString();
            string id = client.Create<JobExecutor>(x => x.RunAsync(plan.Title, plan.Type, spec, null, CancellationToken.None), new EnqueuedState(queue));
            return new QueuedJob(id, plan.Type, plan.Output, plan.ConfigHash, queue);
        }).ToArray();
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
        JsonObject? spec = details.Job?.Args is [_, _, string json, ..] ? JsonNode.Parse(json) as JsonObject : null;
        return new JobStatus(id, state?.Name ?? history.FirstOrDefault()?.State ?? "unknown", state?.Reason, error, Title(details.Job), spec, history);
    }

    /// <summary>
    /// Cancels a job: a queued one never runs; a running one has its cancellation token signalled
    /// (workers check every few seconds) and writes nothing. False when the job is unknown or already finished.
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

    private static JobSummary Summary(string id, string state, Hangfire.Common.Job? job, DateTime? time) => new(id, state, Title(job), time);

    private static string Title(Hangfire.Common.Job? job) => job?.Args is [string title, ..] ? title : "(not a SaeAlign job)";

    [GeneratedRegex("^[a-z0-9_-]+$")]
    private static partial Regex QueueName();
}
