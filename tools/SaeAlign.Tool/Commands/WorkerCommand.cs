using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Hangfire;
using Hangfire.States;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SaeAlign.Core;
using SaeAlign.Worker;

namespace SaeAlign.Tool.Commands;

/// <summary>
/// `saealign worker`: runs jobs until stopped (SIGTERM/Ctrl-C cancels the running jobs, which go back
/// to the queue). With --enqueue it first queues spec files; with --drain it stops once those are done,
/// which is how the embedded in-memory store runs a batch with no setup.
/// </summary>
internal static class WorkerCommand
{
    public static Command Create(CliConsole console)
    {
        var store = new WorkerStoreOptions();
        var concurrency = new Option<int?>("--concurrency") { Description = "Jobs run at once (default 1)." };
        var threads = new Option<int?>("--threads") { Description = "Torch threads per job (0: one per core). Results are reproducible for a fixed thread count." };
        var device = new Option<string?>("--device") { Description = "This worker's device for its jobs: cpu, cuda, cuda:N (pin a worker to one GPU) or auto (default). A spec's own device field wins unless it is auto or cuda." };
        var queues = new Option<string?>("--queues") { Description = "Queues to take jobs from, in priority order, e.g. gpu,default (default: default)." };
        var enqueue = new Option<string[]>("--enqueue") { Description = "Spec file(s) to validate and queue at start.", AllowMultipleArgumentsPerToken = true };
        var drain = new Option<bool>("--drain") { Description = "Stop when the jobs queued with --enqueue have finished or wait behind a failed job of their chain; exit 1 if any did not succeed." };
        var json = new Option<bool>("--json") { Description = "With --drain: print the jobs' final status as one JSON document on stdout." };
        var command = new Command("worker", "Run a job worker (Hangfire) on the embedded in-memory store or a shared PostgreSQL store.")
        {
            concurrency, threads, device, queues, enqueue, drain, json,
        };
        store.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var overrides = store.Overrides(parse);
            if (parse.GetValue(concurrency) is { } c) overrides[$"{WorkerOptions.Section}:{nameof(WorkerOptions.Concurrency)}"] = c.ToString(CultureInfo.InvariantCulture);
            if (parse.GetValue(threads) is { } t) overrides[$"{WorkerOptions.Section}:{nameof(WorkerOptions.TorchThreads)}"] = t.ToString(CultureInfo.InvariantCulture);
            if (parse.GetValue(device) is { } d) overrides[$"{WorkerOptions.Section}:{nameof(WorkerOptions.Device)}"] = d;
            if (parse.GetValue(queues) is { } q)
            {
                var names = q.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
                for (int i = 0; i < names.Length; i++) overrides[$"{WorkerOptions.Section}:{nameof(WorkerOptions.Queues)}:{i}"] = names[i];
            }
            var options = WorkerHost.LoadOptions(overrides);
            options.Validate();
            var plans = JobsCommand.ReadSpecs(parse.GetValue(enqueue) ?? [], new DataRoot(options.DataRoot));
            bool draining = parse.GetValue(drain);
            InvalidInputException.Require(!draining || plans.Count > 0, "--drain needs at least one --enqueue SPEC.json.");

            using var host = WorkerHost.Build(overrides);
            var queued = new JobQueue(host.Services.GetRequiredService<JobStorage>()).Enqueue(plans);
            foreach (var job in queued) await console.Error.WriteLineAsync($"queued job {job.Id}: {job.Type} {(job.Stage is null ? "" : job.Stage + " ")}{job.Output}");
            if (!draining)
            {
                await host.RunAsync(cancellationToken);
                return ExitCodes.Success;
            }
            var statuses = await WorkerHost.RunUntilDoneAsync(host, queued.Select(j => j.Id).ToArray(), cancellationToken);
            if (parse.GetValue(json))
                await console.Out.WriteLineAsync(JsonSerializer.Serialize(new { jobs = statuses.Select(JobsCommand.StatusJson) }, JobsCommand.Json));
            else
                foreach (var s in statuses) await console.Out.WriteLineAsync($"{s.Id}  {s.State,-9}  {s.Title}{(s.Error is null ? "" : $"  ({s.Error})")}");
            return statuses.All(s => s.State == SucceededState.StateName) ? ExitCodes.Success : ExitCodes.InternalError;
        });
        return command;
    }
}
