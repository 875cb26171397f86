using ParquetSharp;
using SaeAlign.Core;

namespace SaeAlign.Data;

/// <summary>
/// Small result tables (loss curves, feature geometry, ...) as Parquet: one column per
/// <see cref="TableColumn"/>, written atomically.
/// </summary>
public static class TableParquet
{
    public static void Write(string path, IReadOnlyList<TableColumn> columns, IReadOnlyDictionary<string, string>? metadata = null)
    {
        if (columns.Count == 0) throw new ArgumentException("A table needs at least one column.", nameof(columns));
        int rows = columns[0].Values.Length;
        foreach (var column in columns)
        {
            if (column.Values.Length != rows)
                throw new ArgumentException($"Column '{column.Name}' has {column.Values.Length} rows, '{columns[0].Name}' has {rows}.", nameof(columns));
        }
        var duplicate = columns.GroupBy(c => c.Name).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new ArgumentException($"Column name '{duplicate.Key}' appears twice.", nameof(columns));

        var keyValues = ParquetIo.Merge(new Dictionary<string, string> { [ParquetIo.SchemaVersionKey] = ParquetIo.SchemaVersion }, metadata);
        ParquetIo.WriteFile(path, columns.Select(SchemaColumn).ToArray(), keyValues, writer =>
        {
            for (int start = 0; start < rows; start += ParquetIo.RowGroupRows)
            {
                int count = Math.Min(ParquetIo.RowGroupRows, rows - start);
                using var group = writer.AppendRowGroup();
                foreach (var column in columns) WriteSlice(group, column.Values, start, count);
            }
        });
    }

    /// <summary>Reads a table written by <see cref="Write"/>: flat int32, int64, float32, float64 or string columns.</summary>
    public static IReadOnlyList<TableColumn> Read(string path) => ParquetIo.Read(path, file =>
    {
        ParquetIo.RequireSchemaVersion(ParquetIo.Metadata(file), path);
        int rows = ParquetIo.RowCount(file, path);
        return ParquetIo.Columns(file).Select(column =>
        {
            var type = column.ElementType;
            if (!column.IsFlat) throw Unsupported(path, column);
            if (type == typeof(int)) return TableColumn.Int32(column.Name, ParquetIo.ReadColumn<int>(file, column.Index, rows));
            if (type == typeof(long)) return TableColumn.Int64(column.Name, ParquetIo.ReadColumn<long>(file, column.Index, rows));
            if (type == typeof(float)) return TableColumn.Float32(column.Name, ParquetIo.ReadColumn<float>(file, column.Index, rows));
            if (type == typeof(double)) return TableColumn.Float64(column.Name, ParquetIo.ReadColumn<double>(file, column.Index, rows));
            if (type == typeof(string)) return TableColumn.String(column.Name, ParquetIo.ReadColumn<string>(file, column.Index, rows));
            throw Unsupported(path, column);
        }).ToArray();
    });

    /// <summary>The file's key-value metadata, including <c>saealign.schema_version</c>.</summary>
    public static IReadOnlyDictionary<string, string> ReadMetadata(string path) => ParquetIo.Read(path, ParquetIo.Metadata);

    private static Column SchemaColumn(TableColumn column) => column.Values switch
    {
        int[] => new Column<int>(column.Name),
        long[] => new Column<long>(column.Name),
        float[] => new Column<float>(column.Name),
        double[] => new Column<double>(column.Name),
        _ => new Column<string>(column.Name),
    };

    private static void WriteSlice(RowGroupWriter group, Array values, int start, int count)
    {
        switch (values)
        {
            case int[] v: ParquetIo.WriteColumn<int>(group, v.AsSpan(start, count)); break;
            case long[] v: ParquetIo.WriteColumn<long>(group, v.AsSpan(start, count)); break;
            case float[] v: ParquetIo.WriteColumn<float>(group, v.AsSpan(start, count)); break;
            case double[] v: ParquetIo.WriteColumn<double>(group, v.AsSpan(start, count)); break;
            default: ParquetIo.WriteColumn<string>(group, ((string[])values).AsSpan(start, count)); break;
        }
    }

    private static InvalidInputException Unsupported(string path, ParquetColumn column) =>
        new($"{path}: column '{column.Name}' has type {ParquetIo.TypeName(column.ElementType)}; tables hold int32, int64, float32, float64 or string columns.");
}
