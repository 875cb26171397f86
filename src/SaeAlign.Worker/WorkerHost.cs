using Hangfire;
using Hangfire.AspNetCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace SaeAlign.Worker;

/// <summary>
/// Builds the worker process: configuration (appsettings.json in the working folder, then
/// SAEALIGN_-prefixed environment variables, then the command line's overrides), console logging on
/// stderr, the job store, and a Hangfire server whose jobs are cancelled on SIGTERM/Ctrl-C and given back
/// to the queue.
/// </summary>
public static class WorkerHost
{
    public const string EnvironmentPrefix = "SAEALIGN_";
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(200);

    /// <summary>The worker settings from configuration, with <paramref name="overrides"/> (e.g. "Worker:Storage") on top.</summary>
    public static WorkerOptions LoadOptions(IEnumerable<KeyValuePair<string, string?>> overrides)
    {
        var configuration = new ConfigurationBuilder();
        AddSources(configuration, overrides);
        return Bind(configuration.Build());
    }

    /// <summary>
    /// A worker host ready to run. The storage is opened here (PostgreSQL: schema created, a few retries
    /// while the database starts), so bad settings fail before anything runs.
    /// </summary>
    public static IHost Build(IEnumerable<KeyValuePair<string, string?>> overrides, Action<ILoggingBuilder>? logging = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [], ContentRootPath = Directory.GetCurrentDirectory() });
        AddSources(builder.Configuration, overrides);
        var options = Bind(builder.Configuration);
        options.Validate();

        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        logging?.Invoke(builder.Logging);

        var storage = WorkerStorage.Create(options, startupRetries: 5);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = options.ShutdownTimeout + TimeSpan.FromSeconds(5));
        builder.Services.AddSingleton<IOptions<WorkerOptions>>(Options.Create(options));
        builder.Services.AddSingleton(storage);
        builder.Services.AddSingleton(JobTypes.All());
        builder.Services.AddTransient<JobExecutor>();
        // Registered before AddHangfire so that Hangfire's process-wide defaults are not used.
        builder.Services.AddSingleton<JobActivator>(sp => new AspNetCoreJobActivator(sp.GetRequiredService<IServiceScopeFactory>()));
        builder.Services.AddHangfire(configuration => configuration.UseSimpleAssemblyNameTypeSerializer());
        // Added before the server, so it stops after it.
        builder.Services.AddHostedService<HangfireLogReset>();
        builder.Services.AddHangfireServer((_, server) =>
        {
            server.ServerName = $"saealign-{Environment.MachineName}-{Environment.ProcessId}";
            server.WorkerCount = options.Concurrency;
            server.Queues = options.EffectiveQueues;
            server.ShutdownTimeout = options.ShutdownTimeout;
            server.SchedulePollingInterval = TimeSpan.FromSeconds(5);
            server.CancellationCheckInterval = TimeSpan.FromSeconds(2);
        }, storage);
        builder.Services.AddHostedService<StartupReport>();
        return builder.Build();
    }

    /// <summary>
    /// Runs <paramref name="host"/> until every job in <paramref name="ids"/> has finished (succeeded, failed or been
    /// cancelled) or awaits a job that never will succeed (<see cref="JobQueue.IsSettled"/>: its chain is dead), then
    /// stops it and returns their final status.
    /// </summary>
    public static async Task<IReadOnlyList<JobStatus>> RunUntilDoneAsync(IHost host, IReadOnlyList<string> ids, CancellationToken cancellationToken)
    {
        var queue = new JobQueue(host.Services.GetRequiredService<JobStorage>());
        await host.StartAsync(cancellationToken);
        try
        {
            while (true)
            {
                var statuses = ids.Select(id => queue.Status(id)!).ToArray();
                if (statuses.All(queue.IsSettled)) return statuses;
                await Task.Delay(PollInterval, cancellationToken);
            }
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
        }
    }

    private static void AddSources(IConfigurationBuilder configuration, IEnumerable<KeyValuePair<string, string?>> overrides) => configuration
        .AddJsonFile(Path.Combine(Directory.GetCurrentDirectory(), "appsettings.json"), optional: true)
        .AddEnvironmentVariables(EnvironmentPrefix)
        .AddInMemoryCollection(overrides);

    private static WorkerOptions Bind(IConfiguration configuration) =>
        configuration.GetSection(WorkerOptions.Section).Get<WorkerOptions>() ?? new WorkerOptions();

    /// <summary>
    /// Hangfire keeps its log provider in a process-wide static that AddHangfire points at this host's
    /// logger factory; once the host stops, that factory is disposed, so the static is cleared for any
    /// storage or host created later in the same process (tests, `worker --drain` then `jobs`).
    /// </summary>
    private sealed class HangfireLogReset : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken)
        {
            Hangfire.Logging.LogProvider.SetCurrentLogProvider(null);
            return Task.CompletedTask;
        }
    }

    /// <summary>Logs what this worker serves (never the connection string) and what the embedded store does not keep.</summary>
    private sealed class StartupReport(IOptions<WorkerOptions> options, JobTypeRegistry types, ILogger<StartupReport> logger) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            var o = options.Value;
            logger.LogInformation(
                "SaeAlign worker: storage {Storage}, data root {DataRoot}, queues {Queues}, concurrency {Concurrency}, torch threads per job {Threads}, job types {Types}.",
                WorkerStorage.Describe(o), new DataRoot(o.DataRoot).FullPath, string.Join(",", o.EffectiveQueues), o.Concurrency, o.TorchThreads, string.Join(",", types.Names));
            if (o.Storage == WorkerOptions.Memory)
                logger.LogWarning("Embedded in-memory job store: queued and running jobs live in this process only and are lost when it stops (finished outputs on disk are kept). Use --storage postgres to share a durable queue between workers.");
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
