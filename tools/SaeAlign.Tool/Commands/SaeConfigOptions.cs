using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using SaeAlign.Core;
using SaeAlign.Sae;

namespace SaeAlign.Tool.Commands;

/// <summary>
/// The training options of <c>sae train</c>: <c>--arch</c> and one flag per SAE setting (<see cref="SaeConfigFields"/>,
/// <c>dSae</c> is <c>--d-sae</c>), so a new architecture's settings become flags without editing the CLI. The help
/// gives each setting's default per architecture, read from the architectures themselves.
/// </summary>
internal sealed class SaeConfigOptions
{
    private readonly Option<string> architecture = new("--arch")
    {
        Description = $"Architecture: {string.Join(", ", SaeArchitecture.Names)}.",
        DefaultValueFactory = _ => SaeArchitecture.TopK.Name,
    };

    private readonly IReadOnlyList<(SaeConfigField Field, Option Option)> settings =
        [.. SaeConfigFields.All.Select(field => (field, Create(field)))];

    public void AddTo(Command command)
    {
        command.Add(architecture);
        foreach (var (_, option) in settings) command.Add(option);
    }

    /// <summary>The config of the given options on the architecture's defaults; a bad value names its flag.</summary>
    public SaeConfig Read(ParseResult parse)
    {
        var fields = new JsonObject { [SaeConfigFields.ArchitectureOption] = parse.GetValue(architecture) };
        foreach (var (field, option) in settings)
            if (parse.GetResult(option) is not null && Value(parse, field, option) is { } value) fields[field.Name] = value;
        return SaeConfigFields.Read(fields);
    }

    private static Option Create(SaeConfigField field)
    {
        string name = InputField.Named(field.Name).Option;
        string description = $"{AppliesTo(field)}{field.Description}{Defaults(field)}";
        return IsBool(field.Type)
            ? new Option<bool?>(name) { Description = description }
            : new Option<string?>(name) { Description = description };
    }

    private static JsonNode? Value(ParseResult parse, SaeConfigField field, Option option)
    {
        if (option is Option<bool?> flag) return parse.GetValue(flag) is { } on ? JsonValue.Create(on) : null;
        if (parse.GetValue((Option<string?>)option) is not { } text) return null;
        var type = Nullable.GetUnderlyingType(field.Type) ?? field.Type;
        if (type == typeof(int) || type == typeof(long))
            return long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var integer) ? JsonValue.Create(integer)
                : throw new InvalidInputException($"{InputField.Named(field.Name)}: expected an integer, got '{text}'.");
        if (type == typeof(IReadOnlyList<int>))
            return new JsonArray([.. text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(part =>
                int.TryParse(part, NumberStyles.Integer, CultureInfo.InvariantCulture, out var item) ? JsonValue.Create(item)
                : throw new InvalidInputException($"{InputField.Named(field.Name)}: expected comma-separated integers, got '{text}'."))]);
        if (type == typeof(double))
            return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number) ? JsonValue.Create(number)
                : throw new InvalidInputException($"{InputField.Named(field.Name)}: expected a number, got '{text}'.");
        return JsonValue.Create(text.Trim());
    }

    private static bool IsBool(Type type) => (Nullable.GetUnderlyingType(type) ?? type) == typeof(bool);

    /// <summary>"(relu-l1) " for a setting only some architectures have.</summary>
    private static string AppliesTo(SaeConfigField field) =>
        field.Architectures.Count == SaeArchitecture.All.Count ? "" : $"({string.Join(", ", field.Architectures)}) ";

    /// <summary>" (default 32; paper-toy 7)": the most common default, then the architectures that differ.</summary>
    private static string Defaults(SaeConfigField field)
    {
        var groups = field.Architectures.GroupBy(a => Format(field.DefaultOf(a))).OrderByDescending(g => g.Count()).ToList();
        var parts = groups.Select((g, i) => g.Key is null ? null : i == 0 ? $"default {g.Key}" : $"{string.Join(", ", g)} {g.Key}")
            .OfType<string>().ToList();
        return parts.Count == 0 ? "" : $" ({string.Join("; ", parts)})";
    }

    private static string? Format(object? value) => value switch
    {
        null => null,
        bool b => b ? "true" : "false",
        Enum e => JsonNamingPolicy.KebabCaseLower.ConvertName(e.ToString()),
        IEnumerable<int> list => list.Any() ? string.Join(",", list) : null,
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString(),
    };
}
