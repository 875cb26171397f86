using System.Runtime.CompilerServices;

namespace SaeAlign.Core;

/// <summary>
/// Bad input from the user: a file, a row, a column or a field. Front ends map it to exit code 2 and render the
/// message's fields in their own spelling (<see cref="InputMessage.Render"/>); <see cref="Exception.Message"/> uses
/// the fields' library names. The message must name what is wrong so the user can fix it without reading code.
/// </summary>
public sealed class InvalidInputException : Exception
{
    public InvalidInputException(string message, Exception? inner = null) : this(InputMessage.Of(message), inner) { }

    public InvalidInputException(InputMessageHandler message, Exception? inner = null) : this(message.ToMessage(), inner) { }

    public InvalidInputException(InputMessage message, Exception? inner = null) : base(message.ToString(), inner) => Input = message;

    /// <summary>The message with its fields still fields.</summary>
    public InputMessage Input { get; }

    /// <summary>Throws when <paramref name="condition"/> is false.</summary>
    public static void Require(bool condition, string message)
    {
        if (!condition) throw new InvalidInputException(message);
    }

    /// <summary>Throws when <paramref name="condition"/> is false; the message is only built then.</summary>
    public static void Require(bool condition, [InterpolatedStringHandlerArgument(nameof(condition))] ref InputMessageHandler message)
    {
        if (!condition) throw new InvalidInputException(message.ToMessage());
    }
}
