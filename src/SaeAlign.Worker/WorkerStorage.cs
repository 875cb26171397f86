using Hangfire;
using Hangfire.InMemory;
using Hangfire.PostgreSql;
using Hangfire.PostgreSql.Factories;
using Npgsql;
using SaeAlign.Core;

namespace SaeAlign.Worker;

/// <summary>Opens the Hangfire storage the options name, and describes it without its credentials.</summary>
public static class WorkerStorage
{
    /// <summary>
    /// The storage for <paramref name="options"/>. For PostgreSQL the schema is created when missing;
    /// <paramref name="startupRetries"/> lets a worker wait for a database that is still starting.
    /// </summary>
    public static JobStorage Create(WorkerOptions options, int startupRetries = 0)
    {
        options.Validate();
        if (options.Storage == WorkerOptions.Memory) return new InMemoryStorage();

        var postgres = new PostgreSqlStorageOptions
        {
            SchemaName = options.Schema,
            PrepareSchemaIfNecessary = true,
            // A fetched job's "fetched at" time is refreshed while it runs, so a short timeout only
            // delays the retry of jobs whose worker died.
            UseSlidingInvisibilityTimeout = true,
            InvisibilityTimeout = options.InvisibilityTimeout,
            QueuePollInterval = options.PollInterval,
            DistributedLockTimeout = TimeSpan.FromMinutes(1),
            StartupConnectionMaxRetries = startupRetries,
        };
        string connection = CheckedConnectionString(options.Connection!);
        try
        {
            return new PostgreSqlStorage(new NpgsqlConnectionFactory(connection, postgres), postgres);
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException or TimeoutException)
        {
            // Npgsql's messages name the host, never the password.
            throw new InvalidInputException($"cannot open the PostgreSQL job store at {Describe(options)}: {e.Message}", e);
        }
    }

    /// <summary>"memory" or "postgres host:port/database (schema s)": what may be logged about the storage.</summary>
    public static string Describe(WorkerOptions options)
    {
        if (options.Storage != WorkerOptions.Postgres || options.Connection is null) return options.Storage;
        var builder = new NpgsqlConnectionStringBuilder(CheckedConnectionString(options.Connection));
        return $"postgres {builder.Host}:{builder.Port}/{builder.Database} (schema {options.Schema})";
    }

    private static string CheckedConnectionString(string connection)
    {
        try
        {
            return new NpgsqlConnectionStringBuilder(connection).ConnectionString;
        }
        catch (ArgumentException e)
        {
            // The exception may quote the value; the message must not.
            throw new InvalidInputException("--connection: not a valid PostgreSQL connection string (expected e.g. Host=db;Database=saealign;Username=worker).", e);
        }
    }
}
