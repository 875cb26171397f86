using System.Globalization;
using ParquetSharp;
using ParquetSharp.Schema;
using SaeAlign.Core;

namespace SaeAlign.Data;

/// <summary>A top-level Parquet column as the readers see it: its name and the .NET type ParquetSharp reads it as.</summary>
internal sealed record ParquetColumn(int Index, string Name, Type ElementType, bool IsFlat);

/// <summary>What every SaeAlign Parquet reader and writer shares: opening with clear errors, writer settings, typed column access.</summary>
internal static class ParquetIo
{
    /// <summary>Rows per row group: large sets stream in bounded memory, small ones are one group.</summary>
    public const int RowGroupRows = 65_536;

    public const string SchemaVersionKey = "saealign.schema_version";
    public const string SchemaVersion = "1";

    /// <summary>
    /// Writes a Parquet file atomically. Snappy: fast, and ReLU/sparse activations (many zeros)
    /// shrink well; every Parquet reader supports it. parquet-cpp writes no timestamps and a fixed
    /// created_by (the library version), so the same data gives byte-identical files.
    /// </summary>
    public static void WriteFile(string path, Column[] columns, IReadOnlyDictionary<string, string> metadata, Action<ParquetFileWriter> writeRowGroups)
    {
        AtomicFile.Write(path, temp =>
        {
            using var properties = new WriterPropertiesBuilder().Compression(Compression.Snappy).Build();
            using var writer = new ParquetFileWriter(temp, columns, properties, metadata);
            writeRowGroups(writer);
            writer.Close();
        });
    }

    public static void WriteColumn<T>(RowGroupWriter group, ReadOnlySpan<T> values)
    {
        using var column = group.NextColumn();
        using var writer = column.LogicalWriter<T>();
        writer.WriteBatch(values);
    }

    /// <summary>Opens <paramref name="path"/>, turning a missing or non-Parquet file into <see cref="InvalidInputException"/>.</summary>
    public static ParquetFileReader Open(string path)
    {
        InputFile.RequireReadable(path);
        try
        {
            return new ParquetFileReader(path);
        }
        catch (ParquetException e)
        {
            throw new InvalidInputException($"{path}: not a Parquet file ({e.Message}).", e);
        }
    }

    /// <summary>Runs <paramref name="read"/> on the opened file; a corrupt file becomes <see cref="InvalidInputException"/>.</summary>
    public static T Read<T>(string path, Func<ParquetFileReader, T> read)
    {
        using var file = Open(path);
        try
        {
            return read(file);
        }
        catch (ParquetException e)
        {
            throw new InvalidInputException($"{path}: cannot read the Parquet data ({e.Message}).", e);
        }
    }

    public static IReadOnlyDictionary<string, string> Metadata(ParquetFileReader file) =>
        new Dictionary<string, string>(file.FileMetaData.KeyValueMetadata ?? new Dictionary<string, string>());

    /// <summary>Files without the key come from other tools and are read as-is; a different version is a newer layout this build cannot know.</summary>
    public static void RequireSchemaVersion(IReadOnlyDictionary<string, string> metadata, string path)
    {
        if (metadata.TryGetValue(SchemaVersionKey, out var version) && version != SchemaVersion)
            throw new InvalidInputException(
                $"{path}: metadata '{SchemaVersionKey}' is '{version}'; this SaeAlign reads version {SchemaVersion}.");
    }

    public static IReadOnlyList<ParquetColumn> Columns(ParquetFileReader file)
    {
        var schema = file.FileMetaData.Schema;
        var columns = new ParquetColumn[schema.NumColumns];
        for (int i = 0; i < columns.Length; i++)
        {
            var descriptor = schema.Column(i);
            using var root = schema.ColumnRoot(i);
            columns[i] = new ParquetColumn(i, root.Name, descriptor.GetSystemTypes(LogicalTypeFactory.Default, null).elementType, root is PrimitiveNode);
        }
        return columns;
    }

    public static int RowCount(ParquetFileReader file, string path)
    {
        long rows = file.FileMetaData.NumRows;
        if (rows > Array.MaxLength) throw new InvalidInputException($"{path}: {rows} rows is more than one array can hold.");
        return (int)rows;
    }

    /// <summary>The column named <paramref name="name"/>, checked to read as <typeparamref name="T"/>.</summary>
    public static ParquetColumn RequireColumn<T>(IReadOnlyList<ParquetColumn> columns, string name, string path)
    {
        var column = columns.FirstOrDefault(c => c.Name == name)
            ?? throw new InvalidInputException($"{path}: no '{name}' column.");
        if (column.ElementType != typeof(T))
            throw new InvalidInputException($"{path}: column '{name}' has type {TypeName(column.ElementType)}, expected {TypeName(typeof(T))}.");
        return column;
    }

    public static T[] ReadAll<T>(RowGroupReader group, int column, int rows)
    {
        using var reader = group.Column(column);
        using var logical = reader.LogicalReader<T>();
        return logical.ReadAll(rows);
    }

    /// <summary>All rows of one column, across row groups.</summary>
    public static T[] ReadColumn<T>(ParquetFileReader file, int column, int rows)
    {
        var result = new T[rows];
        int offset = 0;
        for (int g = 0; g < file.FileMetaData.NumRowGroups; g++)
        {
            using var group = file.RowGroup(g);
            int groupRows = checked((int)group.MetaData.NumRows);
            ReadAll<T>(group, column, groupRows).CopyTo(result, offset);
            offset += groupRows;
        }
        return result;
    }

    /// <summary>The values of a nullable column; a null is an error naming the row (other tools write optional columns).</summary>
    public static T[] NonNull<T>(T?[] values, string path, string column, long firstRow) where T : struct
    {
        var result = new T[values.Length];
        for (int i = 0; i < values.Length; i++)
            result[i] = values[i] ?? throw new InvalidInputException($"{path}: column '{column}', row {firstRow + i} is null.");
        return result;
    }

    /// <summary>A non-negative integer from the key-value metadata, or null when the key is absent.</summary>
    public static int? IntMetadata(IReadOnlyDictionary<string, string> metadata, string key, string path)
    {
        if (!metadata.TryGetValue(key, out var text)) return null;
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value))
            throw new InvalidInputException($"{path}: metadata '{key}' is '{text}', expected a non-negative integer.");
        return value;
    }

    /// <summary>Adds the caller's metadata to the keys a writer sets itself; a clash is a programming error.</summary>
    public static Dictionary<string, string> Merge(Dictionary<string, string> own, IReadOnlyDictionary<string, string>? caller)
    {
        foreach (var (key, value) in caller ?? new Dictionary<string, string>())
        {
            if (!own.TryAdd(key, value))
                throw new ArgumentException($"Metadata key '{key}' is reserved for the writer.", nameof(caller));
        }
        return own;
    }

    public static string TypeName(Type type) =>
        Nullable.GetUnderlyingType(type) is { } underlying ? $"optional {TypeName(underlying)}"
        : type.IsArray ? $"list<{TypeName(type.GetElementType()!)}>"
        : type == typeof(float) ? "float32"
        : type == typeof(double) ? "float64"
        : type == typeof(int) ? "int32"
        : type == typeof(long) ? "int64"
        : type == typeof(string) ? "string"
        : type.Name;
}
