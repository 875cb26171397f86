using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;

namespace SaeAlign.Core;

/// <summary>
/// A message about the user's input whose <see cref="InputField"/>s stay fields until a front end renders them, so one
/// message reads <c>--d-sae must be at least 1</c> on the command line and <c>dSae must be at least 1</c> in a job spec.
/// Written as an interpolated string: <c>$"{InputField.Named("dSae")} must be at least 1"</c>.
/// </summary>
public sealed class InputMessage
{
    private readonly IReadOnlyList<object> parts;

    internal InputMessage(IReadOnlyList<object> parts) => this.parts = parts;

    public static InputMessage Of(string text) => new([text]);

    /// <summary>Where a value came from, for parsers that serve both front ends and spec files: a field or a file location.</summary>
    public static implicit operator InputMessage(string text) => Of(text);

    public static implicit operator InputMessage(InputField field) => new([field]);

    internal IReadOnlyList<object> Parts => parts;

    /// <summary>The first field the message names (the one at fault), or null when it names none.</summary>
    public InputField? Field => parts.OfType<InputField>().Select(f => (InputField?)f).FirstOrDefault();

    /// <summary>The text with each field spelled by <paramref name="name"/>.</summary>
    public string Render(Func<InputField, string> name) =>
        string.Concat(parts.Select(p => p is InputField field ? name(field) : (string)p));

    /// <summary>The text with fields by their library names, for library callers.</summary>
    public override string ToString() => Render(f => f.Name);
}

/// <summary>Builds an <see cref="InputMessage"/> from an interpolated string; <see cref="InputField"/> holes stay fields.</summary>
[InterpolatedStringHandler]
public ref struct InputMessageHandler
{
    private readonly List<object>? parts;
    private readonly StringBuilder? text;

    public InputMessageHandler(int literalLength, int formattedCount)
    {
        parts = [];
        text = new StringBuilder(literalLength);
    }

    /// <summary>For <c>Require(condition, $"...")</c>: nothing is formatted when the condition holds.</summary>
    public InputMessageHandler(int literalLength, int formattedCount, bool condition, out bool shouldAppend)
    {
        shouldAppend = !condition;
        if (!shouldAppend) return;
        parts = [];
        text = new StringBuilder(literalLength);
    }

    public readonly void AppendLiteral(string value) => text!.Append(value);

    public readonly void AppendFormatted(InputField field)
    {
        Flush();
        parts!.Add(field);
    }

    public readonly void AppendFormatted<T>(T value) => AppendFormatted(value, null);

    /// <summary>Values are formatted invariantly: a message quotes numbers as the user writes them in a spec or flag.</summary>
    public readonly void AppendFormatted<T>(T value, string? format)
    {
        if (value is InputField field) AppendFormatted(field);
        else if (value is InputMessage message)
        {
            Flush();
            parts!.AddRange(message.Parts);
        }
        else text!.Append(value is IFormattable formattable ? formattable.ToString(format, CultureInfo.InvariantCulture) : value?.ToString());
    }

    public readonly InputMessage ToMessage()
    {
        Flush();
        return new InputMessage(parts!.ToArray());
    }

    private readonly void Flush()
    {
        if (text!.Length == 0) return;
        parts!.Add(text.ToString());
        text.Clear();
    }
}
