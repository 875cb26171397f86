using System.Text.Json;

namespace SaeAlign.Core;

/// <summary>
/// A field of a command's settings as libraries name it: camelCase, as job specs spell it (<c>dSae</c>). Libraries
/// never spell a front end's flag; each front end renders the field its own way (the CLI as <see cref="Option"/>).
/// </summary>
public readonly record struct InputField(string Name, bool Positional = false)
{
    public static InputField Named(string name) => new(name);

    /// <summary>A command's positional argument (<c>OUT</c>), which the CLI spells as it is.</summary>
    public static InputField Argument(string name) => new(name, Positional: true);

    /// <summary>The CLI's spelling: <c>dSae</c> is <c>--d-sae</c>; an argument keeps its name.</summary>
    public string Option => Positional ? Name : "--" + JsonNamingPolicy.KebabCaseLower.ConvertName(Name);

    public override string ToString() => Name;
}
