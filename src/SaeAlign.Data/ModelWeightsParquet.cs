using System.Globalization;
using ParquetSharp;
using SaeAlign.Core;

namespace SaeAlign.Data;

/// <summary>
/// <see cref="ModelWeights"/> in Parquet: one row per feature with <c>feature</c> int32, <c>w</c>
/// list&lt;float32&gt; (length = neurons), <c>b</c> float32 and <c>importance</c> float32; metadata
/// <c>saealign.features</c>, <c>saealign.neurons</c> plus the caller's.
/// </summary>
public static class ModelWeightsParquet
{
    public const string FeaturesKey = "saealign.features";
    public const string NeuronsKey = "saealign.neurons";

    public static void Write(string path, ModelWeights weights)
    {
        int features = weights.Features, neurons = weights.Neurons;
        if (features < 0 || neurons < 0 || weights.W.Length != (long)features * neurons)
            throw new ArgumentException($"W has {weights.W.Length} values for {features} features x {neurons} neurons.", nameof(weights));
        if (weights.Bias.Length != features || weights.Importance.Length != features)
            throw new ArgumentException(
                $"{weights.Bias.Length} biases and {weights.Importance.Length} importances for {features} features.", nameof(weights));

        var metadata = ParquetIo.Merge(new Dictionary<string, string>
        {
            [ParquetIo.SchemaVersionKey] = ParquetIo.SchemaVersion,
            [FeaturesKey] = features.ToString(CultureInfo.InvariantCulture),
            [NeuronsKey] = neurons.ToString(CultureInfo.InvariantCulture),
        }, weights.Metadata);
        Column[] columns = [new Column<int>("feature"), new Column<float[]>("w"), new Column<float>("b"), new Column<float>("importance")];
        ParquetIo.WriteFile(path, columns, metadata, writer =>
        {
            using var group = writer.AppendRowGroup();
            ParquetIo.WriteColumn<int>(group, Enumerable.Range(0, features).ToArray());
            ParquetIo.WriteColumn<float[]>(group, Enumerable.Range(0, features).Select(f => weights.W.AsSpan(f * neurons, neurons).ToArray()).ToArray());
            ParquetIo.WriteColumn<float>(group, weights.Bias);
            ParquetIo.WriteColumn<float>(group, weights.Importance);
        });
    }

    /// <summary>Reads weights back; <see cref="ModelWeights.Metadata"/> holds the caller's keys, without the saealign.* ones this format sets.</summary>
    public static ModelWeights Read(string path) => ParquetIo.Read(path, file =>
    {
        var metadata = ParquetIo.Metadata(file);
        ParquetIo.RequireSchemaVersion(metadata, path);
        int neurons = ParquetIo.IntMetadata(metadata, NeuronsKey, path)
            ?? throw new InvalidInputException($"{path}: no '{NeuronsKey}' metadata; not a model weights file.");
        int features = ParquetIo.RowCount(file, path);
        if (ParquetIo.IntMetadata(metadata, FeaturesKey, path) is { } declared && declared != features)
            throw new InvalidInputException($"{path}: metadata '{FeaturesKey}' says {declared} features but the file has {features} rows.");

        var columns = ParquetIo.Columns(file);
        var ids = ParquetIo.ReadColumn<int>(file, ParquetIo.RequireColumn<int>(columns, "feature", path).Index, features);
        var rows = ParquetIo.ReadColumn<float[]>(file, ParquetIo.RequireColumn<float[]>(columns, "w", path).Index, features);
        var bias = ParquetIo.ReadColumn<float>(file, ParquetIo.RequireColumn<float>(columns, "b", path).Index, features);
        var importance = ParquetIo.ReadColumn<float>(file, ParquetIo.RequireColumn<float>(columns, "importance", path).Index, features);

        var w = new float[(long)features * neurons];
        for (int f = 0; f < features; f++)
        {
            if (ids[f] != f)
                throw new InvalidInputException($"{path}: row {f} has feature {ids[f]}; rows must list features 0..{features - 1} in order.");
            if (rows[f]?.Length != neurons)
                throw new InvalidInputException($"{path}: row {f}: 'w' has {rows[f]?.Length ?? 0} entries, expected {neurons} (neurons).");
            rows[f].CopyTo(w, (long)f * neurons);
        }
        var own = new[] { ParquetIo.SchemaVersionKey, FeaturesKey, NeuronsKey };
        var callerMetadata = metadata.Where(kv => !own.Contains(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value);
        return new ModelWeights(features, neurons, w, bias, importance, callerMetadata);
    });
}
