using System.Globalization;
using System.Text.Json;
using SaeAlign.Core;

namespace SaeAlign.Tool;

/// <summary>Parsing of option values that System.CommandLine cannot type by itself; errors name the option.</summary>
internal static class OptionValues
{
    /// <summary>"0,1,2" -> [0, 1, 2].</summary>
    public static IReadOnlyList<long> Seeds(string text, string option)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        InvalidInputException.Require(parts.Length > 0, $"{option} must list at least one seed, e.g. {option} 0,1.");
        return parts.Select(p => long.TryParse(p, NumberStyles.Integer, CultureInfo.InvariantCulture, out var seed) && seed >= 0
            ? seed
            : throw new InvalidInputException($"{option}: '{p}' is not a non-negative integer seed.")).ToArray();
    }

    /// <summary>A kebab-case enum value ("hidden-relu"), as in configs and presets.</summary>
    public static T Enum<T>(string text, string option) where T : struct, System.Enum
    {
        var names = System.Enum.GetValues<T>().Select(v => JsonNamingPolicy.KebabCaseLower.ConvertName(v.ToString())).ToArray();
        int index = Array.IndexOf(names, text.Trim().ToLowerInvariant());
        return index >= 0
            ? System.Enum.GetValues<T>()[index]
            : throw new InvalidInputException($"{option}: unknown value '{text}'. Use one of: {string.Join(", ", names)}.");
    }
}
