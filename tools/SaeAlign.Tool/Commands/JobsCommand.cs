using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using SaeAlign.Core;
using SaeAlign.Worker;
using Spectre.Console;

namespace SaeAlign.Tool.Commands;

/// <summary>`saealign jobs enqueue|list|status|cancel`: the client side of a shared (PostgreSQL) job store.</summary>
internal static class JobsCommand
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static Command Create(CliConsole console)
    {
        var jobs = new Command("jobs", "Queue, list, inspect and cancel worker jobs (needs a shared job store: --storage postgres).");
        jobs.Subcommands.Add(Enqueue(console));
        jobs.Subcommands.Add(List(console));
        jobs.Subcommands.Add(Status(console));
        jobs.Subcommands.Add(Cancel(console));
        return jobs;
    }

    /// <summary>Reads and validates every spec file before any job is queued; errors name the file and field.</summary>
    public static IReadOnlyList<JobPlan> ReadSpecs(IReadOnlyList<string> files, DataRoot root)
    {
        var reader = new JobSpecReader(JobTypes.All(), root);
        return files.SelectMany(file =>
        {
            InvalidInputException.Require(File.Exists(file), $"{file}: no such spec file.");
            return reader.Read(File.ReadAllText(file), file);
        }).ToArray();
    }

    public static object StatusJson(JobStatus s) => new { id = s.Id, state = s.State, reason = s.Reason, error = s.Error, title = s.Title, parent = s.Parent, spec = s.Spec, history = s.History };

    private static Command Enqueue(CliConsole console)
    {
        var store = new WorkerStoreOptions();
        var spec = new Argument<string>("SPEC.json") { Description = "A job spec (or an array of specs) with a \"type\" and that type's fields; \"sweep\" expands into one job per combination." };
        var queue = new Option<string>("--queue") { Description = "Queue to put the jobs on.", DefaultValueFactory = _ => JobQueue.DefaultQueue };
        var dryRun = new Option<bool>("--dry-run") { Description = "Validate and show the jobs without queueing them (no job store needed)." };
        var json = new Option<bool>("--json") { Description = "Print one JSON document on stdout." };
        var command = new Command("enqueue", "Validate a spec file and queue its jobs (all or nothing).") { spec, queue, dryRun, json };
        store.AddTo(command);
        command.SetAction((parse, _) =>
        {
            var options = WorkerHost.LoadOptions(store.Overrides(parse));
            var plans = ReadSpecs([parse.GetValue(spec)!], new DataRoot(options.DataRoot));
            string queueName = parse.GetValue(queue)!;
            JobQueue.ValidateQueueName(queueName, "--queue");
            IReadOnlyList<QueuedJob> jobs = parse.GetValue(dryRun)
                ? plans.Select(p => new QueuedJob("-", p.Type, p.Output, p.ConfigHash, queueName)).ToArray()
                : Queue(options).Enqueue(plans, queueName);
            if (parse.GetValue(json))
            {
                console.Out.WriteLine(JsonSerializer.Serialize(new { jobs }, Json));
                return Task.FromResult(ExitCodes.Success);
            }
            var table = new Table().AddColumns("id", "type", "stage", "output", "queue");
            foreach (var j in jobs) table.AddRow(Markup.Escape(j.Id), j.Type, Markup.Escape(j.Stage ?? ""), Markup.Escape(j.Output), j.Queue);
            console.Results.Write(table);
            console.Out.WriteLine(parse.GetValue(dryRun) ? $"{jobs.Count} job(s) valid; nothing queued (--dry-run)." : $"{jobs.Count} job(s) queued.");
            return Task.FromResult(ExitCodes.Success);
        });
        return command;
    }

    private static Command List(CliConsole console)
    {
        var store = new WorkerStoreOptions();
        var json = new Option<bool>("--json") { Description = "Print one JSON document on stdout." };
        var command = new Command("list", "List jobs by state (enqueued, processing, scheduled retries, awaiting the job before them in a chain, failed, succeeded, cancelled).") { json };
        store.AddTo(command);
        command.SetAction((parse, _) =>
        {
            var jobs = Queue(WorkerHost.LoadOptions(store.Overrides(parse))).List();
            if (parse.GetValue(json))
            {
                console.Out.WriteLine(JsonSerializer.Serialize(new { jobs }, Json));
                return Task.FromResult(ExitCodes.Success);
            }
            var table = new Table().AddColumns("id", "state", "job", "since (UTC)");
            foreach (var j in jobs)
                table.AddRow(Markup.Escape(j.Id), j.State, Markup.Escape(j.Title), j.Time?.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) ?? "");
            console.Results.Write(table);
            return Task.FromResult(ExitCodes.Success);
        });
        return command;
    }

    private static Command Status(CliConsole console)
    {
        var store = new WorkerStoreOptions();
        var id = new Argument<string>("ID") { Description = "Job id, as printed by jobs enqueue or jobs list." };
        var json = new Option<bool>("--json") { Description = "Print one JSON document on stdout." };
        var command = new Command("status", "Show a job's state, error, spec and state history.") { id, json };
        store.AddTo(command);
        command.SetAction((parse, _) =>
        {
            string jobId = parse.GetValue(id)!;
            var status = Queue(WorkerHost.LoadOptions(store.Overrides(parse))).Status(jobId)
                ?? throw new InvalidInputException($"ID: no job '{jobId}' in the job store.");
            if (parse.GetValue(json))
            {
                console.Out.WriteLine(JsonSerializer.Serialize(StatusJson(status), Json));
                return Task.FromResult(ExitCodes.Success);
            }
            console.Out.WriteLine($"job {status.Id}: {status.State}{(status.Reason is null ? "" : $" ({status.Reason})")}");
            console.Out.WriteLine($"  {status.Title}");
            if (status.Error is not null) console.Out.WriteLine($"  error: {status.Error}");
            foreach (var change in status.History)
                console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {change.Time:yyyy-MM-dd HH:mm:ss}  {change.State}{(change.Reason is null ? "" : $"  {change.Reason}")}"));
            return Task.FromResult(ExitCodes.Success);
        });
        return command;
    }

    private static Command Cancel(CliConsole console)
    {
        var store = new WorkerStoreOptions();
        var id = new Argument<string>("ID") { Description = "Job id." };
        var command = new Command("cancel", "Cancel a job and the jobs after it in its chain: a queued one never runs, a running one stops within seconds and writes nothing.") { id };
        store.AddTo(command);
        command.SetAction((parse, _) =>
        {
            string jobId = parse.GetValue(id)!;
            bool cancelled = Queue(WorkerHost.LoadOptions(store.Overrides(parse))).Cancel(jobId);
            InvalidInputException.Require(cancelled, $"ID: job '{jobId}' is unknown, already finished or already cancelled.");
            console.Out.WriteLine($"job {jobId} cancelled.");
            return Task.FromResult(ExitCodes.Success);
        });
        return command;
    }

    /// <summary>The shared store; the embedded in-memory one lives inside a worker process and cannot be reached from here.</summary>
    private static JobQueue Queue(WorkerOptions options)
    {
        options.Validate();
        InvalidInputException.Require(options.Storage == WorkerOptions.Postgres,
            "--storage: the jobs commands need a shared job store (--storage postgres with SAEALIGN_Worker__Connection). "
            + "The embedded in-memory store lives inside one worker process: run specs there with `saealign worker --enqueue SPEC.json --drain`.");
        return new JobQueue(WorkerStorage.Create(options));
    }
}
