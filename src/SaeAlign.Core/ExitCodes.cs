namespace SaeAlign.Core;

/// <summary>The process exit codes of every SaeAlign front end (README, "CLI reference": exit codes).</summary>
public static class ExitCodes
{
    public const int Success = 0;
    public const int InternalError = 1;
    public const int InvalidInput = 2;

    /// <summary>Stopped by SIGINT (Ctrl-C): 128 + 2, as a shell reports a process that the signal ended.</summary>
    public const int Interrupted = 130;

    /// <summary>Stopped by SIGTERM: 128 + 15.</summary>
    public const int Terminated = 143;
}
