using System.CommandLine;
using SaeAlign.Core;
using SaeAlign.Tool.Commands;

namespace SaeAlign.Tool;

/// <summary>
/// The `saealign` command line. Exit codes follow the README's CLI reference: 0 success, 2 bad input (the message
/// names the option or file), 1 internal error, 130 interrupted (the token cancelled: Ctrl-C, SIGTERM).
/// Results go to stdout, progress and errors to stderr.
/// </summary>
public static class SaeAlignCli
{
    public static RootCommand Build(CliConsole console)
    {
        var root = new RootCommand("SaeAlign: toy models of superposition, sparse autoencoders, and representational alignment before/after disentanglement.");
        root.Subcommands.Add(DemoCommand.Create(console));
        var toy = new Command("toy", "Toy models of superposition.");
        toy.Subcommands.Add(ToyTrainCommand.Create(console));
        root.Subcommands.Add(toy);
        var sae = new Command("sae", "Sparse autoencoders: train, encode, compare.");
        sae.Subcommands.Add(SaeTrainCommand.Create(console));
        sae.Subcommands.Add(SaeEncodeCommand.Create(console));
        sae.Subcommands.Add(SaeCompareCommand.Create(console));
        root.Subcommands.Add(sae);
        root.Subcommands.Add(AlignCommand.Create(console));
        root.Subcommands.Add(ReplayCommand.Create(console));
        root.Subcommands.Add(PipelineCommand.Create(console));
        root.Subcommands.Add(StudyCommand.Create(console));
        root.Subcommands.Add(ConvertCommand.Create(console));
        root.Subcommands.Add(WorkerCommand.Create(console));
        root.Subcommands.Add(JobsCommand.Create(console));
        return root;
    }

    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken = default)
    {
        var console = new CliConsole(stdout, stderr);
        var parse = Build(console).Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors) await stderr.WriteLineAsync($"error: {error.Message}");
            await stderr.WriteLineAsync("Run 'saealign --help' (or the command with --help) for usage.");
            return ExitCodes.InvalidInput;
        }
        try
        {
            // No ProcessTerminationTimeout: System.CommandLine would end the process 2 s after Ctrl-C, before the work has
            // unwound and removed its staging; the caller's token (Program's signal handling) cancels instead.
            var invocation = new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null };
            return await parse.InvokeAsync(invocation, cancellationToken);
        }
        catch (InvalidInputException e)
        {
            await stderr.WriteLineAsync($"error: {e.Input.Render(f => f.Option)}");
            return ExitCodes.InvalidInput;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await stderr.WriteLineAsync("interrupted; unfinished output was removed.");
            return ExitCodes.Interrupted;
        }
        catch (TrainingDivergedException e)
        {
            await stderr.WriteLineAsync($"error: {e.Input.Render(f => f.Option)}");
            return ExitCodes.InternalError;
        }
        catch (Exception e)
        {
            await stderr.WriteLineAsync($"internal error: {e}");
            return ExitCodes.InternalError;
        }
    }
}
