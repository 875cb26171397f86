using System.Text.Json;

namespace SaeAlign.Core;

/// <summary>
/// A field of a command's settings as libraries name it: camelCase, as job specs spell it (<c>dSae</c>). Libraries
/// never spell a front end's flag; each front end renders the field its own way (the CLI as <see cref="Option"/>).
/// </summary>
public readonly record struct InputField(string Name)
{
    public static InputField Named(string name) => new(name);

    /// <summary>The CLI's spelling: <c>dSae</c> is <c>--d-sae</c>.</summary>
    public string Option => "--" + JsonNamingPolicy.KebabCaseLower.ConvertName(Name);

    public override string ToString() => Name;
}
