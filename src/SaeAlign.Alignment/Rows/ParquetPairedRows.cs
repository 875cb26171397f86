using SaeAlign.Core;
using SaeAlign.Data;

namespace SaeAlign.Alignment;

/// <summary>
/// Two dense Parquet activation sets streamed by row group (<see cref="ActivationParquetStream"/>), so the moment
/// metrics run in memory that does not grow with the number of rows. The files' row groups need not line up: each
/// side is buffered to the other's boundaries. Stimulus ids (when both files have them) are checked as rows stream by.
/// </summary>
public sealed class ParquetPairedRows : IPairedRows
{
    private readonly ActivationParquetStream source;
    private readonly ActivationParquetStream target;

    public ParquetPairedRows(string sourcePath, string targetPath)
    {
        source = new ActivationParquetStream(sourcePath);
        target = new ActivationParquetStream(targetPath);
        if (source.Rows != target.Rows)
            throw new InvalidInputException($"{sourcePath} has {source.Rows} rows but {targetPath} has {target.Rows}; rows must be the same stimuli.");
    }

    public int Rows => source.Rows;
    public int SourceUnits => source.UnitCount;
    public int TargetUnits => target.UnitCount;
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
}
