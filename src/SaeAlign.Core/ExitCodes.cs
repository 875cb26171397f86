namespace SaeAlign.Core;

/// <summary>The process exit codes of every SaeAlign front end (DESIGN.md, CLI contract).</summary>
public static class ExitCodes
{
    public const int Success = 0;
    public const int InternalError = 1;
    public const int InvalidInput = 2;
}
