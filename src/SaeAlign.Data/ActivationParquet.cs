using System.Globalization;
using System.Text.Json;
using ParquetSharp;
using SaeAlign.Core;

namespace SaeAlign.Data;

/// <summary>
/// Activation sets in Parquet (README, "File formats": activation set): a <c>stimulus</c> int64 column plus either
/// one float32 column per unit (dense) or <c>idx</c>/<c>val</c> list columns (sparse). Reads files
/// from other tools too (pandas/pyarrow): float32 or float64 unit columns of any name, optional
/// <c>stimulus</c>.
/// </summary>
public static class ActivationParquet
{
    public const string ProducerKey = "saealign.producer";
    public const string LayoutKey = "saealign.layout";
    public const string UnitsKey = "saealign.units";
    public const string UnitNamesKey = "saealign.unit_names";

    internal const string StimulusColumn = "stimulus";
    /// <summary>pandas stores a non-default index as __index_level_N__ columns: row labels, not units.</summary>
    internal const string PandasIndexPrefix = "__index_level_";
    private const string IndexColumn = "idx";
    private const string ValueColumn = "val";

    public static void Write(
        string path,
        ActivationSet set,
        ActivationLayout layout = ActivationLayout.Dense,
        IReadOnlyDictionary<string, string>? metadata = null,
        string producer = "saealign")
    {
        if (set.Columns == 0) throw new ArgumentException("An activation set needs at least one unit to be written.", nameof(set));
        if (layout == ActivationLayout.Sparse)
        {
            Write(path, SparseCodes.FromDense(set), metadata, producer);
            return;
        }
        var columns = new Column[] { new Column<long>(StimulusColumn) }
            .Concat(ActivationSet.DefaultUnitNames(set.Columns).Select(name => new Column<float>(name)))
            .ToArray();
        ParquetIo.WriteFile(path, columns, KeyValues("dense", set.Columns, set.UnitNames, metadata, producer), writer => WriteDense(writer, set));
    }

    /// <summary>Writes sparse codes in the sparse layout (<c>idx</c>, <c>val</c> lists per row), never densifying them.</summary>
    public static void Write(string path, SparseCodes codes, IReadOnlyDictionary<string, string>? metadata = null, string producer = "saealign")
    {
        if (codes.Columns == 0) throw new ArgumentException("An activation set needs at least one unit to be written.", nameof(codes));
        Column[] columns = [new Column<long>(StimulusColumn), new Column<int[]>(IndexColumn), new Column<float[]>(ValueColumn)];
        ParquetIo.WriteFile(path, columns, KeyValues("sparse", codes.Columns, codes.UnitNames, metadata, producer), writer => WriteSparse(writer, codes));
    }

    /// <summary>
    /// Reads an activation file's nonzeros: a sparse layout stays sparse (wide SAE codes never become N x d_sae),
    /// a dense one keeps its nonzero entries. Errors as <see cref="Read"/>.
    /// </summary>
    public static SparseCodes ReadCodes(string path, CancellationToken ct = default) =>
        ParquetIo.Read(path, file =>
        {
            var metadata = ParquetIo.Metadata(file);
            ParquetIo.RequireSchemaVersion(metadata, path);
            var columns = ParquetIo.Columns(file);
            if (IsSparse(metadata, columns, path)) return ReadSparse(file, path, metadata, columns, ct);
            var dense = ReadDense(file, path, metadata, columns, ct);
            dense.EnsureFinite(path);
            return SparseCodes.FromDense(dense);
        });

    private static Dictionary<string, string> KeyValues(string layout, int units, IReadOnlyList<string> names,
        IReadOnlyDictionary<string, string>? metadata, string producer) =>
        ParquetIo.Merge(new Dictionary<string, string>
        {
            [ParquetIo.SchemaVersionKey] = ParquetIo.SchemaVersion,
            [ProducerKey] = producer,
            [LayoutKey] = layout,
            [UnitsKey] = units.ToString(CultureInfo.InvariantCulture),
            [UnitNamesKey] = JsonSerializer.Serialize(names),
        }, metadata);

    /// <summary>Reads a dense or sparse activation set; non-finite values are an error naming row and column.</summary>
    public static ActivationSet Read(string path, CancellationToken ct = default)
    {
        var set = ParquetIo.Read(path, file =>
        {
            var metadata = ParquetIo.Metadata(file);
            ParquetIo.RequireSchemaVersion(metadata, path);
            var columns = ParquetIo.Columns(file);
            return IsSparse(metadata, columns, path)
                ? Densify(ReadSparse(file, path, metadata, columns, ct), path)
                : ReadDense(file, path, metadata, columns, ct);
        });
        set.EnsureFinite(path);
        return set;
    }

    /// <summary>Whether the file holds the sparse layout (by its metadata, or idx/val columns for files from other tools).</summary>
    public static bool IsSparseFile(string path) =>
        ParquetIo.Read(path, file => IsSparse(ParquetIo.Metadata(file), ParquetIo.Columns(file), path));

    /// <summary>The file's key-value metadata: the saealign.* keys plus whatever the writer added.</summary>
    public static IReadOnlyDictionary<string, string> ReadMetadata(string path) => ParquetIo.Read(path, ParquetIo.Metadata);

    private static void WriteDense(ParquetFileWriter writer, ActivationSet set)
    {
        var column = new float[Math.Min(set.Rows, ParquetIo.RowGroupRows)];
        for (int start = 0; start < set.Rows; start += ParquetIo.RowGroupRows)
        {
            int rows = Math.Min(ParquetIo.RowGroupRows, set.Rows - start);
            using var group = writer.AppendRowGroup();
            ParquetIo.WriteColumn<long>(group, set.Stimuli.AsSpan(start, rows));
            for (int unit = 0; unit < set.Columns; unit++)
            {
                for (int r = 0; r < rows; r++) column[r] = set[start + r, unit];
                ParquetIo.WriteColumn<float>(group, column.AsSpan(0, rows));
            }
        }
    }

    private static void WriteSparse(ParquetFileWriter writer, SparseCodes codes)
    {
        for (int start = 0; start < codes.Rows; start += ParquetIo.RowGroupRows)
        {
            int rows = Math.Min(ParquetIo.RowGroupRows, codes.Rows - start);
            var indices = new int[rows][];
            var values = new float[rows][];
            for (int r = 0; r < rows; r++)
            {
                indices[r] = codes.RowIndex(start + r).ToArray();
                values[r] = codes.RowValues(start + r).ToArray();
            }
            using var group = writer.AppendRowGroup();
            ParquetIo.WriteColumn<long>(group, codes.Stimuli.AsSpan(start, rows));
            ParquetIo.WriteColumn<int[]>(group, indices);
            ParquetIo.WriteColumn<float[]>(group, values);
        }
    }

    /// <summary>Sparse when the metadata says so, or (files from other tools) when <c>idx</c> and <c>val</c> columns exist.</summary>
    private static bool IsSparse(IReadOnlyDictionary<string, string> metadata, IReadOnlyList<ParquetColumn> columns, string path) =>
        metadata.TryGetValue(LayoutKey, out var layout)
            ? layout switch
            {
                "dense" => false,
                "sparse" => true,
                _ => throw new InvalidInputException($"{path}: metadata '{LayoutKey}' is '{layout}', expected 'dense' or 'sparse'."),
            }
            : columns.Any(c => c.Name == IndexColumn) && columns.Any(c => c.Name == ValueColumn);

    private static ActivationSet ReadDense(
        ParquetFileReader file, string path, IReadOnlyDictionary<string, string> metadata, IReadOnlyList<ParquetColumn> columns, CancellationToken ct)
    {
        var stimulus = columns.FirstOrDefault(c => c.Name == StimulusColumn);
        var units = columns.Where(c => c != stimulus && !c.Name.StartsWith(PandasIndexPrefix, StringComparison.Ordinal)).ToArray();
        foreach (var unit in units)
        {
            if (!unit.IsFlat || !IsFloat(unit.ElementType))
                throw new InvalidInputException(
                    $"{path}: column '{unit.Name}' has type {ParquetIo.TypeName(unit.ElementType)}; unit columns must be float32 or float64.");
        }
        if (units.Length == 0)
            throw new InvalidInputException($"{path}: no unit columns; expected float32 or float64 columns besides '{StimulusColumn}'.");

        int rows = ParquetIo.RowCount(file, path);
        var values = new float[CheckedSize(rows, units.Length, path)];
        var stimuli = stimulus is null ? null : new long[rows];
        int start = 0;
        for (int g = 0; g < file.FileMetaData.NumRowGroups; g++)
        {
            using var group = file.RowGroup(g);
            int groupRows = checked((int)group.MetaData.NumRows);
            if (stimulus is not null) ReadStimuli(group, stimulus, groupRows, path, start).CopyTo(stimuli!, start);
            for (int u = 0; u < units.Length; u++)
            {
                ct.ThrowIfCancellationRequested();
                var column = ReadFloats(group, units[u], groupRows, path, start);
                for (int r = 0; r < groupRows; r++) values[(long)(start + r) * units.Length + u] = column[r];
            }
            start += groupRows;
        }
        var names = UnitNames(metadata, units.Length, path) ?? units.Select(u => u.Name).ToArray();
        return new ActivationSet(values, rows, units.Length, stimuli, names);
    }

    private static SparseCodes ReadSparse(
        ParquetFileReader file, string path, IReadOnlyDictionary<string, string> metadata, IReadOnlyList<ParquetColumn> columns, CancellationToken ct)
    {
        var stimulus = columns.FirstOrDefault(c => c.Name == StimulusColumn);
        var index = columns.FirstOrDefault(c => c.Name == IndexColumn)
            ?? throw new InvalidInputException($"{path}: no '{IndexColumn}' column.");
        var value = columns.FirstOrDefault(c => c.Name == ValueColumn)
            ?? throw new InvalidInputException($"{path}: no '{ValueColumn}' column.");
        int rows = ParquetIo.RowCount(file, path);

        var indices = new int[]?[rows];
        var entries = new float[]?[rows];
        var stimuli = stimulus is null ? null : new long[rows];
        int start = 0;
        for (int g = 0; g < file.FileMetaData.NumRowGroups; g++)
        {
            ct.ThrowIfCancellationRequested();
            using var group = file.RowGroup(g);
            int groupRows = checked((int)group.MetaData.NumRows);
            if (stimulus is not null) ReadStimuli(group, stimulus, groupRows, path, start).CopyTo(stimuli!, start);
            ReadIndexLists(group, index, groupRows, path, start).CopyTo(indices, start);
            ReadValueLists(group, value, groupRows, path, start).CopyTo(entries, start);
            start += groupRows;
        }

        var names = UnitNames(metadata, null, path);
        int units = ParquetIo.IntMetadata(metadata, UnitsKey, path)
            ?? names?.Length
            ?? indices.Select(row => row is { Length: > 0 } ? row.Max() + 1 : 0).DefaultIfEmpty(0).Max();
        if (units == 0) throw new InvalidInputException($"{path}: the sparse layout declares no units.");
        if (names is not null && names.Length != units)
            throw new InvalidInputException($"{path}: metadata '{UnitNamesKey}' has {names.Length} names for {units} units.");

        // Rows as the file lists them may be unsorted (other tools); zeros are dropped and a repeated unit is an error.
        var builder = new SparseCodes.Builder(units);
        for (int r = 0; r < rows; r++)
        {
            var rowIndices = indices[r] ?? throw new InvalidInputException($"{path}: row {r}: '{IndexColumn}' is null.");
            var rowValues = entries[r] ?? throw new InvalidInputException($"{path}: row {r}: '{ValueColumn}' is null.");
            if (rowIndices.Length != rowValues.Length)
                throw new InvalidInputException(
                    $"{path}: row {r}: '{IndexColumn}' has {rowIndices.Length} entries but '{ValueColumn}' has {rowValues.Length}.");
            Array.Sort(rowIndices, rowValues);
            for (int k = 0; k < rowIndices.Length; k++)
            {
                int unit = rowIndices[k];
                if (unit < 0 || unit >= units)
                    throw new InvalidInputException($"{path}: row {r}: '{IndexColumn}' entry {unit} is outside 0..{units - 1}.");
                if (k > 0 && unit == rowIndices[k - 1])
                    throw new InvalidInputException($"{path}: row {r}: '{IndexColumn}' lists unit {unit} twice.");
                if (!float.IsFinite(rowValues[k]))
                    throw new InvalidInputException(
                        $"{path}: row {r}, column {unit} ({names?[unit] ?? ActivationSet.DefaultUnitNames(units)[unit]}) is {rowValues[k]}; activations must be finite.");
            }
            builder.AddRow(rowIndices, rowValues);
        }
        return builder.Build(stimuli, names);
    }

    private static bool IsFloat(Type type) =>
        type == typeof(float) || type == typeof(double) || type == typeof(float?) || type == typeof(double?);

    private static float[] ReadFloats(RowGroupReader group, ParquetColumn column, int rows, string path, long firstRow)
    {
        var type = column.ElementType;
        if (type == typeof(float)) return ParquetIo.ReadAll<float>(group, column.Index, rows);
        if (type == typeof(double)) return Array.ConvertAll(ParquetIo.ReadAll<double>(group, column.Index, rows), v => (float)v);
        if (type == typeof(float?)) return ParquetIo.NonNull(ParquetIo.ReadAll<float?>(group, column.Index, rows), path, column.Name, firstRow);
        return Array.ConvertAll(
            ParquetIo.NonNull(ParquetIo.ReadAll<double?>(group, column.Index, rows), path, column.Name, firstRow), v => (float)v);
    }

    private static long[] ReadStimuli(RowGroupReader group, ParquetColumn column, int rows, string path, long firstRow)
    {
        var type = column.ElementType;
        if (type == typeof(long)) return ParquetIo.ReadAll<long>(group, column.Index, rows);
        if (type == typeof(long?)) return ParquetIo.NonNull(ParquetIo.ReadAll<long?>(group, column.Index, rows), path, column.Name, firstRow);
        if (type == typeof(int)) return Array.ConvertAll(ParquetIo.ReadAll<int>(group, column.Index, rows), v => (long)v);
        if (type == typeof(int?))
            return Array.ConvertAll(ParquetIo.NonNull(ParquetIo.ReadAll<int?>(group, column.Index, rows), path, column.Name, firstRow), v => (long)v);
        throw new InvalidInputException(
            $"{path}: column '{StimulusColumn}' has type {ParquetIo.TypeName(type)}; stimulus ids must be int64 or int32.");
    }

    /// <summary>The <c>idx</c> lists: list&lt;int32&gt;, with required (SaeAlign) or optional (pyarrow) elements.</summary>
    private static int[]?[] ReadIndexLists(RowGroupReader group, ParquetColumn column, int rows, string path, long firstRow)
    {
        var type = column.ElementType;
        if (type == typeof(int[])) return ParquetIo.ReadAll<int[]>(group, column.Index, rows);
        if (type == typeof(int?[])) return NonNullLists(ParquetIo.ReadAll<int?[]>(group, column.Index, rows), v => v, path, column.Name, firstRow);
        throw new InvalidInputException($"{path}: column '{IndexColumn}' has type {ParquetIo.TypeName(type)}; expected list<int32>.");
    }

    /// <summary>The <c>val</c> lists: list&lt;float32&gt; from SaeAlign; float32 or float64, optional elements, from other tools.</summary>
    private static float[]?[] ReadValueLists(RowGroupReader group, ParquetColumn column, int rows, string path, long firstRow)
    {
        var type = column.ElementType;
        if (type == typeof(float[])) return ParquetIo.ReadAll<float[]>(group, column.Index, rows);
        if (type == typeof(float?[])) return NonNullLists(ParquetIo.ReadAll<float?[]>(group, column.Index, rows), v => v, path, column.Name, firstRow);
        if (type == typeof(double[])) return NonNullLists(ParquetIo.ReadAll<double[]>(group, column.Index, rows), v => (float?)v, path, column.Name, firstRow);
        if (type == typeof(double?[])) return NonNullLists(ParquetIo.ReadAll<double?[]>(group, column.Index, rows), v => (float?)v, path, column.Name, firstRow);
        throw new InvalidInputException(
            $"{path}: column '{ValueColumn}' has type {ParquetIo.TypeName(type)}; expected list<float32> or list<float64>.");
    }

    /// <summary>Converts list rows element-wise; a null element is an error naming the row (a null list stays null).</summary>
    private static TOut[]?[] NonNullLists<TIn, TOut>(TIn[]?[] rows, Func<TIn, TOut?> convert, string path, string column, long firstRow)
        where TOut : struct
    {
        var result = new TOut[]?[rows.Length];
        for (int r = 0; r < rows.Length; r++)
        {
            if (rows[r] is not { } row) continue;
            result[r] = new TOut[row.Length];
            for (int k = 0; k < row.Length; k++)
                result[r]![k] = convert(row[k]) ?? throw new InvalidInputException($"{path}: row {firstRow + r}: '{column}' has a null entry.");
        }
        return result;
    }

    /// <summary>Unit names from the metadata, or null when the file has none (then the column names serve).</summary>
    private static string[]? UnitNames(IReadOnlyDictionary<string, string> metadata, int? expected, string path)
    {
        if (!metadata.TryGetValue(UnitNamesKey, out var json)) return null;
        string[]? names;
        try
        {
            names = JsonSerializer.Deserialize<string[]>(json);
        }
        catch (JsonException e)
        {
            throw new InvalidInputException($"{path}: metadata '{UnitNamesKey}' is not a JSON array of strings ({e.Message}).", e);
        }
        if (names is null || names.Any(n => n is null))
            throw new InvalidInputException($"{path}: metadata '{UnitNamesKey}' is not a JSON array of strings.");
        if (expected is { } count && names.Length != count)
            throw new InvalidInputException($"{path}: metadata '{UnitNamesKey}' has {names.Length} names for {count} unit columns.");
        return names;
    }

    private static ActivationSet Densify(SparseCodes codes, string path)
    {
        CheckedSize(codes.Rows, codes.Columns, path);
        return codes.ToDense();
    }

    private static long CheckedSize(int rows, int units, string path)
    {
        long size = (long)rows * units;
        if (size > Array.MaxLength) throw new InvalidInputException($"{path}: {rows} rows x {units} units is more than one array can hold.");
        return size;
    }
}
