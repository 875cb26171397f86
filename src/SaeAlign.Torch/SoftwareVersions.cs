using TorchSharp;

namespace SaeAlign.Torch;

/// <summary>The versions a run manifest records, so a result can be traced to the code that made it.</summary>
public static class SoftwareVersions
{
    public static IReadOnlyDictionary<string, string> Current { get; } = new Dictionary<string, string>
    {
        ["saealign"] = typeof(SoftwareVersions).Assembly.GetName().Version?.ToString() ?? "unknown",
        ["torchsharp"] = typeof(torch).Assembly.GetName().Version?.ToString() ?? "unknown",
        ["dotnet"] = Environment.Version.ToString(),
    };
}
