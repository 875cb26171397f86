using System.Text.Json;
using System.Text.RegularExpressions;

namespace SaeAlign.Core;

/// <summary>
/// Turns System.Text.Json's errors about a user's spec into one line a user can act on: the field, where
/// in the file, and what the field takes, in words rather than .NET type names
/// (<c>System.Nullable`1[System.Int32]</c> becomes "an integer").
/// </summary>
public static partial class JsonInputError
{
    /// <summary>Options for reading user specs: a repeated key is an error, not "the last one wins".</summary>
    public static JsonDocumentOptions DocumentOptions { get; } = new()
    {
        CommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        AllowDuplicateProperties = false,
    };

    /// <summary>
    /// "FIELD: CAUSE", e.g. <c>dSae: expected an integer (line 3, byte 12)</c>; FIELD is "spec" for the whole
    /// document; text that is not JSON at all is "malformed JSON at line L, byte B: CAUSE".
    /// </summary>
    public static string Describe(JsonException e)
    {
        string field = e.Path is { Length: > 2 } path ? path[2..] : "spec";
        string where = e.LineNumber is { } line ? $" (line {line + 1}, byte {e.BytePositionInLine + 1})" : "";
        string message = e.Message.Split(" Path:")[0].Split(" LineNumber:")[0].TrimEnd('.');
        var duplicate = Duplicate().Match(message);
        if (duplicate.Success) return $"{(field == "spec" ? "" : field + ".")}{duplicate.Groups[1].Value}: the key is given twice{where}; give it once.";
        if (e.Path is null && e.LineNumber is { } at)
            return $"malformed JSON at line {at + 1}, byte {e.BytePositionInLine + 1}: {message}.";
        // A converter's own message may already name the field.
        if (message.StartsWith(field, StringComparison.Ordinal)) return $"{message}{where}.";
        var converted = ConvertedTo().Match(message);
        if (converted.Success) return $"{field}: expected {Expected(converted.Groups[1].Value)}{where}.";
        var missing = MissingRequired().Match(message);
        if (missing.Success) return $"{field}: missing {missing.Groups[1].Value}{where}.";
        return $"{field}: {TypeName().Replace(message, m => Expected(m.Value))}{where}.";
    }

    /// <summary>What a value of <paramref name="type"/> looks like in JSON ("an integer", "one of zeros, mean").</summary>
    public static string Expected(Type type) => Expected((System.Nullable.GetUnderlyingType(type) ?? type).FullName!);

    /// <summary>What a value of the .NET type named <paramref name="typeName"/> looks like in JSON.</summary>
    private static string Expected(string typeName)
    {
        string inner = Nullable().Match(typeName) is { Success: true } n ? n.Groups[1].Value : typeName;
        if (inner.EndsWith("[]", StringComparison.Ordinal) || inner.Contains("List`1") || inner.Contains("IReadOnlyList`1"))
            return "a list";
        return inner switch
        {
            "System.Int32" or "System.Int64" or "System.Int16" or "System.UInt32" or "System.UInt64" => "an integer",
            "System.Double" or "System.Single" or "System.Decimal" => "a number",
            "System.Boolean" => "true or false",
            "System.String" => "a string",
            _ when FindType(inner) is { IsEnum: true } type =>
                "one of " + string.Join(", ", Enum.GetNames(type).Select(JsonNamingPolicy.KebabCaseLower.ConvertName)),
            _ when inner.Contains("Dictionary`2") => "an object of named values",
            _ => "an object with the spec's fields",
        };
    }

    private static Type? FindType(string fullName) =>
        AppDomain.CurrentDomain.GetAssemblies().Select(a => a.GetType(fullName, throwOnError: false)).FirstOrDefault(t => t is not null);

    [GeneratedRegex(@"could not be converted to ([^\s]+?)\.?$")]
    private static partial Regex ConvertedTo();

    [GeneratedRegex(@"Duplicate property '([^']*)'")]
    private static partial Regex Duplicate();

    [GeneratedRegex(@"missing required properties including: (.*)$")]
    private static partial Regex MissingRequired();

    [GeneratedRegex(@"System\.Nullable`1\[(.*)\]")]
    private static partial Regex Nullable();

    [GeneratedRegex(@"\b(?:System|SaeAlign)\.[A-Za-z0-9_.`\[\]]+")]
    private static partial Regex TypeName();
}
