using System.CommandLine;
using SaeAlign.Worker;

namespace SaeAlign.Tool.Commands;

/// <summary>
/// The options `saealign worker` and `saealign jobs` share: which job store and data root. Each one
/// overrides the same setting from appsettings.json or SAEALIGN_Worker__* environment variables.
/// </summary>
internal sealed class WorkerStoreOptions
{
    private readonly Option<string?> storage = new("--storage") { Description = "Job store: memory (embedded, default; queued jobs are lost when the worker stops) or postgres." };
    private readonly Option<string?> connection = new("--connection") { Description = "PostgreSQL connection string. Prefer SAEALIGN_Worker__Connection: command lines are visible to other users." };
    private readonly Option<string?> dataRoot = new("--data-root") { Description = "Folder that every path in a job spec is relative to and must stay inside (default: the current folder)." };

    public void AddTo(Command command)
    {
        command.Options.Add(storage);
        command.Options.Add(connection);
        command.Options.Add(dataRoot);
    }

    /// <summary>Configuration keys ("Worker:Storage", ...) for the options given on the command line.</summary>
    public Dictionary<string, string?> Overrides(ParseResult parse)
    {
        var overrides = new Dictionary<string, string?>();
        void Set(string key, string? value)
        {
            if (value is not null) overrides[$"{WorkerOptions.Section}:{key}"] = value;
        }
        Set(nameof(WorkerOptions.Storage), parse.GetValue(storage));
        Set(nameof(WorkerOptions.Connection), parse.GetValue(connection));
        Set(nameof(WorkerOptions.DataRoot), parse.GetValue(dataRoot));
        return overrides;
    }
}
