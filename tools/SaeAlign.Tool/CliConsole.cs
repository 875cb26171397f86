using Spectre.Console;

namespace SaeAlign.Tool;

/// <summary>The tool's two streams: results on <see cref="Out"/>, progress and messages on <see cref="Error"/>.</summary>
public sealed class CliConsole(TextWriter stdout, TextWriter stderr)
{
    public TextWriter Out { get; } = stdout;
    public TextWriter Error { get; } = stderr;

    /// <summary>A Spectre console over stdout, for tables.</summary>
    public IAnsiConsole Results { get; } = Create(stdout);

    /// <summary>A Spectre console over stderr, for progress bars (stdout stays clean for --json).</summary>
    public IAnsiConsole Progress { get; } = Create(stderr);

    private static IAnsiConsole Create(TextWriter writer) =>
        AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(writer) });
}
