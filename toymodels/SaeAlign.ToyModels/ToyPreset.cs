using System.Reflection;
using System.Text.Json;
using SaeAlign.Core;
using static SaeAlign.Core.InputField;

namespace SaeAlign.ToyModels;

/// <summary>A named, documented toy-model configuration shipped as JSON in Presets/.</summary>
public sealed record ToyPreset(string Name, string Description, ToyModelConfig Config)
{
    private const string ResourcePrefix = "SaeAlign.ToyModels.Presets.";

    public static IReadOnlyList<string> Names { get; } = typeof(ToyPreset).Assembly.GetManifestResourceNames()
        .Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal) && n.EndsWith(".json", StringComparison.Ordinal))
        .Select(n => n[ResourcePrefix.Length..^".json".Length])
        .Order(StringComparer.Ordinal)
        .ToArray();

    /// <summary>Loads a preset by name; an unknown name is bad input and the message lists the known ones.</summary>
    public static ToyPreset Load(string name)
    {
        using var stream = typeof(ToyPreset).Assembly.GetManifestResourceStream(ResourcePrefix + name + ".json")
            ?? throw new InvalidInputException(
                $"{Named("preset")}: unknown preset '{name}'. Known presets: {string.Join(", ", Names)}.");
        var file = JsonSerializer.Deserialize<PresetFile>(stream, ToyModelConfig.Json)
            ?? throw new InvalidOperationException($"Preset {name} is empty.");
        return new ToyPreset(name, file.Description, file.Config);
    }

    private sealed record PresetFile(string Description, ToyModelConfig Config);
}
