using System.Runtime.InteropServices;
using SaeAlign.Core;

namespace SaeAlign.Tool;

/// <summary>
/// SIGINT (Ctrl-C) and SIGTERM as a cancellation: the first one cancels <see cref="Token"/>, so long work stops at its
/// next check and unwinds, and its run folder deletes its staging on the way out; a second one gets the default
/// handling and ends the process at once (what it leaves is removed by the next run to the same output).
/// </summary>
internal sealed class TerminationSignals : IDisposable
{
    private readonly CancellationTokenSource cancellation = new();
    private readonly PosixSignalRegistration interrupt;
    private readonly PosixSignalRegistration terminate;
    private int exitCode = ExitCodes.Interrupted;

    public TerminationSignals()
    {
        interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, context => OnSignal(context, ExitCodes.Interrupted));
        terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => OnSignal(context, ExitCodes.Terminated));
    }

    public CancellationToken Token => cancellation.Token;

    /// <summary>The exit code for an interrupted run: 130 after SIGINT, 143 after SIGTERM.</summary>
    public int ExitCode => Volatile.Read(ref exitCode);

    public void Dispose()
    {
        interrupt.Dispose();
        terminate.Dispose();
        cancellation.Dispose();
    }

    private void OnSignal(PosixSignalContext context, int code)
    {
        if (cancellation.IsCancellationRequested) return;
        Volatile.Write(ref exitCode, code);
        context.Cancel = true;
        cancellation.Cancel();
    }
}
