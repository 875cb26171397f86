using ParquetSharp;
using SaeAlign.Core;
using SaeAlign.Data;

namespace SaeAlign.Alignment;

/// <summary>
/// Two dense Parquet activation sets read one row group at a time, so the moment metrics run in memory that does
/// not grow with the number of rows. The files' row groups need not line up: each side is buffered to the
/// other's boundaries. Stimulus ids (when both files have them) and finiteness are checked as rows stream by,
/// and an error names the file, row and column.
/// </summary>
public sealed class ParquetPairedRows : IPairedRows
{
    private readonly DenseFile source;
    private readonly DenseFile target;

    public ParquetPairedRows(string sourcePath, string targetPath)
    {
        source = new DenseFile(sourcePath);
        target = new DenseFile(targetPath);
        if (source.Rows != target.Rows)
            throw new InvalidInputException($"{sourcePath} has {source.Rows} rows but {targetPath} has {target.Rows}; rows must be the same stimuli.");
    }

    /// <summary>
    /// True when <paramref name="path"/> can stream: dense, non-null float32/float64 unit columns, a non-null integer
    /// <c>stimulus</c> if any, and this schema version. Other files (sparse, nullable columns from pandas) are read whole.
    /// </summary>
    public static bool CanStream(string path)
    {
        var metadata = ActivationParquet.ReadMetadata(path);
        if (metadata.TryGetValue(ActivationParquet.LayoutKey, out var layout) && layout != "dense") return false;
        if (metadata.TryGetValue("saealign.schema_version", out var version) && version != "1") return false;
        using var file = new ParquetFileReader(path);
        var schema = file.FileMetaData.Schema;
        for (int c = 0; c < schema.NumColumns; c++)
        {
            var descriptor = schema.Column(c);
            string name = descriptor.Path.ToDotString();
            var type = descriptor.GetSystemTypes(LogicalTypeFactory.Default, null).elementType;
            bool ok = name == "stimulus" ? type == typeof(long) || type == typeof(int)
                : name.StartsWith("__index_level_", StringComparison.Ordinal) || type == typeof(float) || type == typeof(double);
            if (!ok) return false;
        }
        return true;
    }

    public int Rows => source.Rows;
    public int SourceUnits => source.Units.Length;
    public int TargetUnits => target.Units.Length;
    public IReadOnlyList<string> SourceUnitNames => source.UnitNames;
    public IReadOnlyList<string> TargetUnitNames => target.UnitNames;

    public IEnumerable<RowBlock> Blocks(CancellationToken ct)
    {
        using var x = source.Groups(ct).GetEnumerator();
        using var y = target.Groups(ct).GetEnumerator();
        var pendingX = new Pending(SourceUnits);
        var pendingY = new Pending(TargetUnits);
        int first = 0;
        while (first < Rows)
        {
            while (pendingX.Rows == 0 && x.MoveNext()) pendingX.Set(x.Current);
            while (pendingY.Rows == 0 && y.MoveNext()) pendingY.Set(y.Current);
            int rows = Math.Min(pendingX.Rows, pendingY.Rows);
            if (rows == 0) throw new InvalidInputException($"{source.Path}: the row groups hold fewer rows than the footer's {Rows}.");
            var (valuesX, idsX) = pendingX.Take(rows);
            var (valuesY, idsY) = pendingY.Take(rows);
            if (idsX is not null && idsY is not null)
            {
                for (int r = 0; r < rows; r++)
                    if (idsX[r] != idsY[r])
                        throw new InvalidInputException(
                            $"row {first + r}: {source.Path} has stimulus {idsX[r]} but {target.Path} has {idsY[r]}; rows must be the same stimuli in the same order.");
            }
            yield return new RowBlock(first, rows, valuesX, valuesY);
            first += rows;
        }
    }

    /// <summary>The unread rest of one file's current row group.</summary>
    private sealed class Pending(int units)
    {
        private float[] values = [];
        private long[]? ids;
        private int offset;

        public int Rows { get; private set; }

        public void Set((float[] Values, long[]? Ids, int Rows) group)
        {
            (values, ids, Rows, offset) = (group.Values, group.Ids, group.Rows, 0);
        }

        public (float[] Values, long[]? Ids) Take(int rows)
        {
            var taken = offset == 0 && rows == Rows ? values : values.AsSpan(offset * units, rows * units).ToArray();
            var takenIds = ids?.AsSpan(offset, rows).ToArray();
            offset += rows;
            Rows -= rows;
            return (taken, takenIds);
        }
    }

    /// <summary>One dense file: float32/float64 unit columns (any names), optional int64/int32 <c>stimulus</c>.</summary>
    private sealed class DenseFile
    {
        public DenseFile(string path)
        {
            Path = path;
            InputFile.RequireReadable(path);
            var metadata = ActivationParquet.ReadMetadata(path);
            using var file = new ParquetFileReader(path);
            var schema = file.FileMetaData.Schema;
            var units = new List<int>();
            var names = new List<string>();
            for (int c = 0; c < schema.NumColumns; c++)
            {
                var descriptor = schema.Column(c);
                string name = descriptor.Path.ToDotString();
                var type = descriptor.GetSystemTypes(LogicalTypeFactory.Default, null).elementType;
                if (name == "stimulus")
                {
                    InvalidInputException.Require(type == typeof(long) || type == typeof(int),
                        $"{path}: column 'stimulus' must be int64 or int32 (non-null) to stream.");
                    Stimulus = c;
                    StimulusIsInt32 = type == typeof(int);
                    continue;
                }
                if (name.StartsWith("__index_level_", StringComparison.Ordinal)) continue;
                InvalidInputException.Require(type == typeof(float) || type == typeof(double),
                    $"{path}: column '{name}' must be a non-null float32 or float64 unit column to stream.");
                units.Add(c);
                names.Add(name);
            }
            InvalidInputException.Require(units.Count > 0, $"{path}: no unit columns.");
            Units = units.ToArray();
            Float64 = units.Select(c => schema.Column(c).GetSystemTypes(LogicalTypeFactory.Default, null).elementType == typeof(double)).ToArray();
            UnitNames = metadata.TryGetValue(ActivationParquet.UnitNamesKey, out var json)
                && System.Text.Json.JsonSerializer.Deserialize<string[]>(json) is { } fromMetadata && fromMetadata.Length == units.Count
                ? fromMetadata
                : names;
            long rows = file.FileMetaData.NumRows;
            InvalidInputException.Require(rows >= 1, $"{path}: has no rows; an activation file needs at least one stimulus.");
            InvalidInputException.Require(rows <= Array.MaxLength, $"{path}: {rows} rows is more than one stream can index.");
            Rows = (int)rows;
        }

        public string Path { get; }
        public int Rows { get; }
        public int[] Units { get; }
        public IReadOnlyList<string> UnitNames { get; }
        private bool[] Float64 { get; }
        private int? Stimulus { get; }
        private bool StimulusIsInt32 { get; }

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
                    var column = Float64[u] ? Array.ConvertAll(Read<double>(group, Units[u], rows), v => (float)v) : Read<float>(group, Units[u], rows);
                    for (int r = 0; r < rows; r++)
                    {
                        if (!float.IsFinite(column[r]))
                            throw new InvalidInputException(
                                $"{Path}: row {first + r}, column {u} ({UnitNames[u]}) is {column[r]}; activations must be finite.");
                        values[(long)r * Units.Length + u] = column[r];
                    }
                }
                long[]? ids = Stimulus is not { } s ? null
                    : StimulusIsInt32 ? Array.ConvertAll(Read<int>(group, s, rows), v => (long)v) : Read<long>(group, s, rows);
                yield return (values, ids, rows);
                first += rows;
            }
        }

        private static T[] Read<T>(RowGroupReader group, int column, int rows)
        {
            using var reader = group.Column(column);
            using var logical = reader.LogicalReader<T>();
            return logical.ReadAll(rows);
        }
    }
}
