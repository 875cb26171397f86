using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SaeAlign.Testing;

/// <summary>
/// A snapshot whose structure (keys, array lengths, strings, booleans) must match exactly and whose
/// numbers must match within a tolerance. libtorch and the BLAS pick different kernels on different
/// CPUs (AVX-512 or AVX2, Intel or AMD), so trained values differ in the last bits and the differences
/// grow through training: a bit-exact snapshot made on one machine fails on another. The tolerance is
/// the test's statement of how far such kernel noise can move a value.
/// Files live in <c>__snapshots__/NAME.json</c> beside the test; a mismatch writes the actual value to
/// <c>__mismatch__/NAME.json</c>. A missing snapshot is written on first run, except in strict mode
/// (<c>SAEALIGN_STRICT_SNAPSHOTS=1</c>, as CI sets), where it fails.
/// </summary>
public static class ApproximateSnapshot
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        // Snapshots are read by people: keep ± and → as they are.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <param name="actual">The value to snapshot (serialised as camelCase JSON).</param>
    /// <param name="tolerance">How far a number may lie from the snapshot's.</param>
    public static void Match(object actual, Tolerance tolerance, [CallerFilePath] string testFile = "", [CallerMemberName] string testName = "")
    {
        string folder = Path.GetDirectoryName(testFile)!;
        string name = $"{Path.GetFileNameWithoutExtension(testFile)}.{testName}.json";
        string expectedPath = Path.Combine(folder, "__snapshots__", name);
        string mismatchPath = Path.Combine(folder, "__mismatch__", name);
        var actualNode = JsonSerializer.SerializeToNode(actual, Json)!;
        string actualText = actualNode.ToJsonString(Json) + "\n";

        if (!File.Exists(expectedPath))
        {
            if (Environment.GetEnvironmentVariable("SAEALIGN_STRICT_SNAPSHOTS") == "1")
                Assert.Fail($"No snapshot {expectedPath}; run the test outside strict mode to write it, review it and commit it.");
            Directory.CreateDirectory(Path.GetDirectoryName(expectedPath)!);
            File.WriteAllText(expectedPath, actualText);
            return;
        }

        var differences = Differences(JsonNode.Parse(File.ReadAllText(expectedPath)), actualNode, tolerance);
        if (differences.Count == 0)
        {
            if (File.Exists(mismatchPath)) File.Delete(mismatchPath);
            return;
        }
        Directory.CreateDirectory(Path.GetDirectoryName(mismatchPath)!);
        File.WriteAllText(mismatchPath, actualText);
        Assert.Fail($"Snapshot {name} differs beyond {tolerance} (actual written to {mismatchPath}):\n" + string.Join("\n", differences.Take(20)));
    }

    /// <summary>Where <paramref name="actual"/> departs from <paramref name="expected"/>, one line per place (JSON path, both values).</summary>
    public static IReadOnlyList<string> Differences(JsonNode? expected, JsonNode? actual, Tolerance tolerance)
    {
        var differences = new List<string>();
        Compare(expected, actual, "$", tolerance, differences);
        return differences;
    }

    private static void Compare(JsonNode? expected, JsonNode? actual, string path, Tolerance tolerance, List<string> differences)
    {
        switch (expected, actual)
        {
            case (JsonObject e, JsonObject a):
                foreach (var key in e.Select(p => p.Key).Union(a.Select(p => p.Key)))
                {
                    if (!e.ContainsKey(key) || !a.ContainsKey(key)) differences.Add($"{path}.{key}: {(e.ContainsKey(key) ? "missing" : "unexpected")}");
                    else Compare(e[key], a[key], $"{path}.{key}", tolerance, differences);
                }
                break;
            case (JsonArray e, JsonArray a):
                if (e.Count != a.Count) differences.Add($"{path}: {a.Count} items, snapshot has {e.Count}");
                else for (int i = 0; i < e.Count; i++) Compare(e[i], a[i], $"{path}[{i}]", tolerance, differences);
                break;
            case (JsonValue e, JsonValue a) when e.GetValueKind() == JsonValueKind.Number && a.GetValueKind() == JsonValueKind.Number:
                double x = e.GetValue<double>(), y = a.GetValue<double>();
                if (!tolerance.Allows(x, y))
                    differences.Add(string.Create(CultureInfo.InvariantCulture, $"{path}: {y:R}, snapshot {x:R}"));
                break;
            default:
                string left = expected?.ToJsonString() ?? "null", right = actual?.ToJsonString() ?? "null";
                if (left != right) differences.Add($"{path}: {right}, snapshot {left}");
                break;
        }
    }
}

/// <summary>|actual − expected| ≤ <see cref="Absolute"/> + <see cref="Relative"/>·|expected|.</summary>
public sealed record Tolerance(double Absolute, double Relative = 0)
{
    public bool Allows(double expected, double actual) =>
        Math.Abs(actual - expected) <= Absolute + Relative * Math.Abs(expected);

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"±({Absolute:G3} + {Relative:G3}·|x|)");
}
