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

    /// <summary>"16G", "512M", "2e9" -> bytes (K, M, G, T are powers of 1000, as memory is usually quoted for machines).</summary>
    public static long Bytes(string text, string option)
    {
        string t = text.Trim().ToUpperInvariant().TrimEnd('B');
        double scale = t.Length > 0 ? t[^1] switch { 'K' => 1e3, 'M' => 1e6, 'G' => 1e9, 'T' => 1e12, _ => 1 } : 1;
        if (scale != 1) t = t[..^1];
        return double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && value * scale >= 1e6 && value * scale < 1e18
            ? (long)(value * scale)
            : throw new InvalidInputException($"{option}: '{text}' is not a memory size of at least 1M, e.g. {option} 16G.");
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
