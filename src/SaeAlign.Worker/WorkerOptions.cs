using SaeAlign.Core;
using SaeAlign.Torch;

namespace SaeAlign.Worker;

/// <summary>
/// The worker's settings, bound from the "Worker" configuration section (appsettings.json,
/// SAEALIGN_Worker__* environment variables, command-line options). The connection string is a
/// credential: it comes from configuration only, never from a job spec, and is never logged.
/// </summary>
public sealed class WorkerOptions
{
    public const string Section = "Worker";
    public const string Memory = "memory";
    public const string Postgres = "postgres";

    /// <summary><c>memory</c> (embedded, nothing to install; queued jobs die with the process) or <c>postgres</c>.</summary>
    public string Storage { get; set; } = Memory;

    /// <summary>Npgsql connection string for <c>postgres</c> storage.</summary>
    public string? Connection { get; set; }

    /// <summary>PostgreSQL schema holding Hangfire's tables; workers that share a queue share a schema.</summary>
    public string Schema { get; set; } = "hangfire";

    /// <summary>Every path in a job spec is relative to (and must stay inside) this folder.</summary>
    public string DataRoot { get; set; } = ".";

    /// <summary>Jobs this worker runs at once.</summary>
    public int Concurrency { get; set; } = 1;

    /// <summary>Torch intra-op threads per job (0: libtorch's default, one per core).</summary>
    public int TorchThreads { get; set; }

    /// <summary>
    /// Where this worker's jobs put their tensors (cpu, cuda, cuda:N or auto): a worker per GPU, each pinned with cuda:N,
    /// shares one queue. A spec's own <c>device</c> is used unless it is auto or plain cuda (<see cref="JobDevice.Effective"/>).
    /// </summary>
    public string Device { get; set; } = ComputeDevice.Auto;

    /// <summary>Queues this worker takes jobs from, in priority order (none listed: the default queue).</summary>
    public string[] Queues { get; set; } = [];

    /// <summary><see cref="Queues"/>, or the default queue when none is listed.</summary>
    public string[] EffectiveQueues => Queues.Length == 0 ? [JobQueue.DefaultQueue] : Queues;

    /// <summary>
    /// How long a job fetched by a worker that stopped heart-beating (killed, cut off) stays invisible
    /// before another worker takes it. Running jobs keep extending it (sliding), so it can be short.
    /// </summary>
    public TimeSpan InvisibilityTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How often an idle worker polls PostgreSQL for work.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a graceful stop waits for running jobs to notice cancellation and give their work back.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Throws <see cref="InvalidInputException"/> naming the option of the first invalid value.</summary>
    public void Validate()
    {
        InvalidInputException.Require(Storage is Memory or Postgres, $"--storage must be '{Memory}' or '{Postgres}', got '{Storage}'.");
        InvalidInputException.Require(Storage != Postgres || !string.IsNullOrWhiteSpace(Connection),
            "--storage postgres needs a connection string: set SAEALIGN_Worker__Connection (or Worker:Connection in appsettings.json, or --connection).");
        InvalidInputException.Require(Concurrency >= 1, $"--concurrency must be at least 1, got {Concurrency}.");
        InvalidInputException.Require(TorchThreads >= 0, $"--threads must be 0 (all cores) or positive, got {TorchThreads}.");
        foreach (var queue in Queues) JobQueue.ValidateQueueName(queue, "--queues");
        InvalidInputException.Require(ComputeDevice.IsSpelling(Device), $"--device must be {ComputeDevice.Spellings}, got '{Device}'.");
        InvalidInputException.Require(System.Text.RegularExpressions.Regex.IsMatch(Schema, "^[a-z_][a-z0-9_]*$"),
            $"Worker:Schema must be a lower-case SQL identifier, got '{Schema}'.");
        InvalidInputException.Require(InvisibilityTimeout >= TimeSpan.FromSeconds(1), "Worker:InvisibilityTimeout must be at least one second.");
        InvalidInputException.Require(PollInterval > TimeSpan.Zero, "Worker:PollInterval must be positive.");
    }
}
