using System.CommandLine;

namespace SaeAlign.Tool.Commands;

/// <summary>The options every long-running command shares.</summary>
internal sealed class CommonOptions
{
    private readonly Option<int> threads = new("--threads") { Description = "Torch threads (0: one per core). Results are reproducible for a fixed thread count." };
    private readonly Option<bool> quiet = new("--quiet") { Description = "No progress bars." };
    private readonly Option<bool> json = new("--json") { Description = "Print one JSON document on stdout and nothing else there." };

    public void AddTo(Command command)
    {
        command.Options.Add(threads);
        command.Options.Add(quiet);
        command.Options.Add(json);
    }

    public CommonSettings Read(ParseResult parse) => new(parse.GetValue(threads), parse.GetValue(quiet), parse.GetValue(json));
}

internal sealed record CommonSettings(int Threads, bool Quiet, bool Json);
