using System.ComponentModel;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using SaeAlign.Core;
using static SaeAlign.Core.InputField;

namespace SaeAlign.Sae;

/// <summary>One setting of SAE training, named as configs, job specs and (in kebab-case) the CLI name it.</summary>
/// <param name="Architectures">The architectures that have it: all of them for the shared settings.</param>
public sealed record SaeConfigField(string Name, Type Type, string Description, IReadOnlyList<SaeArchitecture> Architectures)
{
    /// <summary><paramref name="architecture"/>'s default, null when the default is "derived" (d_sae = 8 x d_in).</summary>
    public object? DefaultOf(SaeArchitecture architecture) =>
        SaeConfig.Json.GetTypeInfo(architecture.ConfigType).Properties.Single(p => p.Name == Name).Get!(architecture.Defaults);
}

/// <summary>
/// A config as fields: what <c>sae train</c>'s options, the <c>train-sae</c> job and the pipeline's <c>sae</c> object give.
/// The architecture's defaults hold for every field not given; a field of another architecture is an error, as is
/// an unknown one. Configs written before the settings moved into their architectures (longer names such as
/// <c>learningRate</c>, every architecture's fields in every config) still read from config files, checkpoints and queued jobs.
/// </summary>
public static class SaeConfigFields
{
    public const string ArchitectureField = "architecture";

    /// <summary>What the CLI and the <c>train-sae</c> job call the architecture.</summary>
    public const string ArchitectureOption = "arch";

    /// <summary>The names configs (pipeline specs, manifests, checkpoints) used before the settings moved into their architectures.</summary>
    private static readonly IReadOnlyDictionary<string, string> EarlierNames = new Dictionary<string, string>
    {
        ["learningRate"] = "lr",
        ["decoderBiasInit"] = "bDecInit",
        ["auxKCoefficient"] = "auxCoefficient",
        ["jumpReluBandwidth"] = "bandwidth",
        ["jumpReluInitThreshold"] = "initThreshold",
        ["thresholdEmaRate"] = "thresholdEma",
    };

    /// <summary>Every architecture's settings, the shared ones first, each once.</summary>
    public static IReadOnlyList<SaeConfigField> All { get; } = Collect();

    /// <summary>The config these fields give; a bad value is <see cref="InvalidInputException"/> naming its field.</summary>
    /// <param name="earlier">
    /// The fields may have been written by an earlier version (config files, checkpoints, queued jobs), which named some
    /// settings otherwise (<c>learningRate</c>), wrote every architecture's settings into every config, and wrote 0 for
    /// "d_sae = 8 x d_in" and "train by epochs": read those as they were meant.
    /// </param>
    public static SaeConfig Read(JsonObject fields, bool earlier = false)
    {
        var given = new List<(string Key, string Name, JsonNode? Value)>();
        foreach (var (key, value) in fields)
        {
            string name = key == ArchitectureOption ? ArchitectureField : earlier ? EarlierNames.GetValueOrDefault(key, key) : key;
            if (earlier && name is "steps" or "dSae" && value is JsonValue zero && zero.TryGetValue<int>(out var sentinel) && sentinel == 0) continue;
            foreach (var same in given.Where(g => g.Name == name))
                throw new InvalidInputException($"{Named(same.Key)} and {Named(key)} are the same setting; give it once.");
            given.Add((key, name, value));
        }
        var architecture = SaeArchitecture.TopK;
        foreach (var (key, _, value) in given.Where(g => g.Name == ArchitectureField))
            architecture = value is JsonValue v && v.TryGetValue<string>(out var text)
                ? SaeArchitecture.Get(text, Named(key))
                : throw new InvalidInputException($"{Named(key)} must be one of {string.Join(", ", SaeArchitecture.Names)}.");

        var type = SaeConfig.Json.GetTypeInfo(architecture.ConfigType);
        var config = (SaeConfig)type.CreateObject!();
        foreach (var (key, name, value) in given.Where(g => g.Name != ArchitectureField))
        {
            var property = type.Properties.FirstOrDefault(p => p.Name == name);
            if (property is null && earlier && All.Any(f => f.Name == name)) continue; // another architecture's setting, written by an earlier version
            if (property is null) throw NotASetting(key, name, architecture);
            property.Set!(config, Value(key, value, property.PropertyType));
        }
        bool steps = given.Any(g => g is { Name: "steps", Value: not null }), epochs = given.Any(g => g is { Name: "epochs", Value: not null });
        InvalidInputException.Require(!(steps && epochs), $"{Named("steps")} and {Named("epochs")} are exclusive: give the training length one way.");
        return steps ? config with { Epochs = null } : config;
    }

    /// <summary>The config as fields, the architecture first, then the shared settings; of steps and epochs only the one that counts.</summary>
    public static JsonObject Write(SaeConfig config)
    {
        var values = JsonSerializer.SerializeToNode(config, config.GetType(), SaeConfig.Json)!.AsObject();
        if (config.Steps is not null) values.Remove("epochs");
        var fields = new JsonObject { [ArchitectureField] = config.Architecture.Name };
        foreach (var field in All)
            if (values.TryGetPropertyValue(field.Name, out var value)) fields[field.Name] = value?.DeepClone();
        return fields;
    }

    private static object? Value(string key, JsonNode? value, Type type)
    {
        if (value is null)
            return Nullable.GetUnderlyingType(type) is not null ? null
                : throw new InvalidInputException($"{Named(key)}: expected {JsonInputError.Expected(type)}, got null.");
        try
        {
            return value.Deserialize(type, SaeConfig.Json);
        }
        catch (Exception e) when (e is JsonException or ArgumentException)
        {
            string given = value is JsonValue v && v.TryGetValue<double>(out var number) && !double.IsFinite(number)
                ? number.ToString(System.Globalization.CultureInfo.InvariantCulture) : value.ToJsonString();
            throw new InvalidInputException($"{Named(key)}: expected {JsonInputError.Expected(type)}, got {given}.");
        }
    }

    private static InvalidInputException NotASetting(string key, string name, SaeArchitecture architecture)
    {
        if (All.FirstOrDefault(f => f.Name == name) is { } field)
            return new InvalidInputException($"{Named(key)} is a setting of {string.Join(", ", field.Architectures)}; a {architecture.Name} SAE has no such setting.");
        return new InvalidInputException($"{Named(key)}: unknown field.");
    }

    private static List<SaeConfigField> Collect()
    {
        var fields = new List<SaeConfigField>();
        foreach (var architecture in SaeArchitecture.All)
            // Properties without a setter (the architecture itself) are facts, not settings.
            foreach (var property in SaeConfig.Json.GetTypeInfo(architecture.ConfigType).Properties.Where(p => p.Set is not null))
            {
                int at = fields.FindIndex(f => f.Name == property.Name);
                if (at >= 0)
                {
                    fields[at] = fields[at] with { Architectures = [.. fields[at].Architectures, architecture] };
                    continue;
                }
                string description = (property.AttributeProvider as MemberInfo)?.GetCustomAttribute<DescriptionAttribute>()?.Description
                    ?? throw new InvalidOperationException($"{architecture.ConfigType.Name}.{property.Name} needs a [Description] for the CLI's help.");
                fields.Add(new SaeConfigField(property.Name, property.PropertyType, description, [architecture]));
            }
        // Shared settings first, then each architecture's own in registry order.
        return [.. fields.OrderByDescending(f => f.Architectures.Count == SaeArchitecture.All.Count)];
    }
}

/// <summary>A config as its fields (<see cref="SaeConfigFields"/>), so configs, specs and checkpoints are one flat object.</summary>
internal sealed class SaeConfigJsonConverter : JsonConverter<SaeConfig>
{
    public override bool CanConvert(Type typeToConvert) => typeToConvert == typeof(SaeConfig);

    public override SaeConfig Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (JsonNode.Parse(ref reader) is not JsonObject fields) throw new JsonException("expected an object of SAE settings");
        try
        {
            return SaeConfigFields.Read(fields, earlier: true);
        }
        catch (InvalidInputException e)
        {
            // No path: System.Text.Json then adds where the config is (a spec's $.sae) and the line; the message names the field.
            throw new JsonException(e.Message.TrimEnd('.'), e);
        }
    }

    public override void Write(Utf8JsonWriter writer, SaeConfig value, JsonSerializerOptions options) =>
        SaeConfigFields.Write(value).WriteTo(writer, options);
}
