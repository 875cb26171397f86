namespace SaeAlign.Core;

/// <summary>
/// Bad input from the user: a file, a row, a column or an option. Front ends map it to exit code 2;
/// the message must name what is wrong so the user can fix it without reading code.
/// </summary>
public sealed class InvalidInputException(string message, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>Throws when <paramref name="condition"/> is false.</summary>
    public static void Require(bool condition, string message)
    {
        if (!condition) throw new InvalidInputException(message);
    }
}
