using System.Text.Json;
using ParquetSharp;
using SaeAlign.Core;

namespace SaeAlign.Data;

/// <summary>
/// One dense activation Parquet file read one row group at a time, so a pass over it runs in memory that does not grow
/// with the number of rows: float32/float64 unit columns (any names), optional int64/int32 <c>stimulus</c>.
/// Finiteness is checked as rows stream by, and an error names the file, row and column.
/// </summary>
public sealed class ActivationParquetStream
{
    public ActivationParquetStream(string path)
    {
        Path = path;
        InputFile.RequireReadable(path);
        var metadata = ActivationParquet.ReadMetadata(path);
        using var file = new ParquetFileReader(path);
        var schema = file.FileMetaData.Schema;
        var units = new List<int>();
        var names = new List<string>();
        var float64 = new List<bool>();
        for (int c = 0; c < schema.NumColumns; c++)
        {
            var (name, type) = Describe(schema, c);
            if (name == ActivationParquet.StimulusColumn)
            {
                InvalidInputException.Require(Streamable(name, type),
                    $"{path}: column '{ActivationParquet.StimulusColumn}' must be int64 or int32 (non-null) to stream.");
                Stimulus = c;
                StimulusIsInt32 = type == typeof(int);
                continue;
            }
            if (name.StartsWith(ActivationParquet.PandasIndexPrefix, StringComparison.Ordinal)) continue;
            InvalidInputException.Require(Streamable(name, type),
                $"{path}: column '{name}' must be a non-null float32 or float64 unit column to stream.");
            units.Add(c);
            names.Add(name);
            float64.Add(type == typeof(double));
        }
        InvalidInputException.Require(units.Count > 0, $"{path}: no unit columns.");
        Units = units.ToArray();
        Float64 = float64.ToArray();
        UnitNames = metadata.TryGetValue(ActivationParquet.UnitNamesKey, out var json)
            && JsonSerializer.Deserialize<string[]>(json) is { } fromMetadata && fromMetadata.Length == units.Count
            ? fromMetadata
            : names;
        long rows = file.FileMetaData.NumRows;
        InvalidInputException.Require(rows >= 1, $"{path}: has no rows; an activation file needs at least one stimulus.");
        InvalidInputException.Require(rows <= Array.MaxLength, $"{path}: {rows} rows is more than one stream can index.");
        Rows = (int)rows;
    }

    /// <summary>
    /// True when <paramref name="path"/> can stream: dense, non-null float32/float64 unit columns, a non-null integer
    /// <c>stimulus</c> if any, and this schema version. Other files (sparse, nullable columns from pandas) are read whole.
    /// </summary>
    public static bool CanStream(string path)
    {
        var metadata = ActivationParquet.ReadMetadata(path);
        if (metadata.TryGetValue(ActivationParquet.LayoutKey, out var layout) && layout != "dense") return false;
        if (metadata.TryGetValue(ParquetIo.SchemaVersionKey, out var version) && version != ParquetIo.SchemaVersion) return false;
        using var file = new ParquetFileReader(path);
        var schema = file.FileMetaData.Schema;
        return Enumerable.Range(0, schema.NumColumns).All(c => Describe(schema, c) is var (name, type) && Streamable(name, type));
    }

    private static (string Name, Type Type) Describe(SchemaDescriptor schema, int column)
    {
        var descriptor = schema.Column(column);
        return (descriptor.Path.ToDotString(), descriptor.GetSystemTypes(LogicalTypeFactory.Default, null).elementType);
    }

    /// <summary>A non-null integer stimulus, a pandas index (skipped), or a non-null float unit column.</summary>
    private static bool Streamable(string name, Type type) =>
        name == ActivationParquet.StimulusColumn ? type == typeof(long) || type == typeof(int)
            : name.StartsWith(ActivationParquet.PandasIndexPrefix, StringComparison.Ordinal) || type == typeof(float) || type == typeof(double);

    public string Path { get; }
    public int Rows { get; }
    public int UnitCount => Units.Length;
    public IReadOnlyList<string> UnitNames { get; }
    private int[] Units { get; }
    private bool[] Float64 { get; }
    private int? Stimulus { get; }
    private bool StimulusIsInt32 { get; }

    /// <summary>Each row group's values (row-major float32), its stimulus ids (null without a <c>stimulus</c> column) and its row count.</summary>
    public IEnumerable<(float[] Values, long[]? Ids, int Rows)> Groups(CancellationToken ct)
    {
        using var file = new ParquetFileReader(Path);
        int first = 0;
        for (int g = 0; g < file.FileMetaData.NumRowGroups; g++)
        {
            ct.ThrowIfCancellationRequested();
            using var group = file.RowGroup(g);
            int rows = checked((int)group.MetaData.NumRows);
            var values = new float[(long)rows * Units.Length];
            for (int u = 0; u < Units.Length; u++)
            {
                var column = Float64[u]
                    ? Array.ConvertAll(ParquetIo.ReadAll<double>(group, Units[u], rows), v => (float)v)
                    : ParquetIo.ReadAll<float>(group, Units[u], rows);
                for (int r = 0; r < rows; r++)
                {
                    if (!float.IsFinite(column[r]))
                        throw new InvalidInputException(
                            $"{Path}: row {first + r}, column {u} ({UnitNames[u]}) is {column[r]}; activations must be finite.");
                    values[(long)r * Units.Length + u] = column[r];
                }
            }
            long[]? ids = Stimulus is not { } s ? null
                : StimulusIsInt32 ? Array.ConvertAll(ParquetIo.ReadAll<int>(group, s, rows), v => (long)v) : ParquetIo.ReadAll<long>(group, s, rows);
            yield return (values, ids, rows);
            first += rows;
        }
    }
}
