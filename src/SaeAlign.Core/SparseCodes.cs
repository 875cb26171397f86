namespace SaeAlign.Core;

/// <summary>
/// An activation set stored by its nonzero entries, row by row (compressed sparse rows): SAE codes, where k of
/// d_sae latents fire per stimulus. At 20,000 stimuli and 8,192 latents with k = 32 the codes are 5 MB here and
/// 655 MB dense; nothing that consumes them needs the dense N x d_sae array.
/// </summary>
public sealed record SparseCodes
{
    /// <param name="rowStart">Rows + 1 offsets into <paramref name="index"/> and <paramref name="value"/>; row r holds entries [rowStart[r], rowStart[r + 1]).</param>
    /// <param name="index">Column of each entry, strictly increasing within a row.</param>
    /// <param name="value">Value of each entry, nonzero and finite.</param>
    public SparseCodes(int rows, int columns, long[] rowStart, int[] index, float[] value, long[]? stimuli = null, IReadOnlyList<string>? unitNames = null)
    {
        if (rows < 0 || columns < 0 || rowStart.Length != rows + 1 || rowStart[0] != 0 || rowStart[rows] != index.Length || index.Length != value.Length)
            throw new ArgumentException($"row offsets ({rowStart.Length}), indices ({index.Length}) and values ({value.Length}) do not describe {rows} rows.");
        if (stimuli is not null && stimuli.Length != rows)
            throw new ArgumentException($"{stimuli.Length} stimulus ids for {rows} rows.", nameof(stimuli));
        if (unitNames is not null && unitNames.Count != columns)
            throw new ArgumentException($"{unitNames.Count} unit names for {columns} columns.", nameof(unitNames));
        Rows = rows;
        Columns = columns;
        RowStart = rowStart;
        Index = index;
        Value = value;
        Stimuli = stimuli ?? Enumerable.Range(0, rows).Select(i => (long)i).ToArray();
        UnitNames = unitNames ?? ActivationSet.DefaultUnitNames(columns);
    }

    public int Rows { get; }
    public int Columns { get; }
    public long[] RowStart { get; }
    public int[] Index { get; }
    public float[] Value { get; }
    public long[] Stimuli { get; }
    public IReadOnlyList<string> UnitNames { get; }

    /// <summary>Stored entries: the nonzeros.</summary>
    public long Entries => Index.Length;

    public ReadOnlySpan<int> RowIndex(int row) => Index.AsSpan((int)RowStart[row], (int)(RowStart[row + 1] - RowStart[row]));

    public ReadOnlySpan<float> RowValues(int row) => Value.AsSpan((int)RowStart[row], (int)(RowStart[row + 1] - RowStart[row]));

    /// <summary>The nonzeros of a dense set (zeros are not stored).</summary>
    public static SparseCodes FromDense(ActivationSet dense)
    {
        var builder = new Builder(dense.Columns);
        for (int r = 0; r < dense.Rows; r++) builder.AddDenseRow(dense.Row(r));
        return builder.Build(dense.Stimuli, dense.UnitNames);
    }

    /// <summary>The dense N x columns array, for metrics that need rows whole; the caller has checked it fits.</summary>
    public ActivationSet ToDense()
    {
        var values = new float[(long)Rows * Columns];
        for (int r = 0; r < Rows; r++)
        {
            var index = RowIndex(r);
            var value = RowValues(r);
            for (int e = 0; e < index.Length; e++) values[(long)r * Columns + index[e]] = value[e];
        }
        return new ActivationSet(values, Rows, Columns, Stimuli, UnitNames);
    }

    /// <summary>Rows [<paramref name="first"/>, first + <paramref name="count"/>).</summary>
    public SparseCodes Slice(int first, int count)
    {
        long start = RowStart[first], end = RowStart[first + count];
        var rowStart = new long[count + 1];
        for (int r = 0; r <= count; r++) rowStart[r] = RowStart[first + r] - start;
        return new SparseCodes(count, Columns, rowStart, Index[(int)start..(int)end], Value[(int)start..(int)end],
            Stimuli[first..(first + count)], UnitNames);
    }

    /// <summary>The rows <paramref name="rows"/> in that order (repeats allowed), with their stimulus ids: a permutation or resample of the stimuli.</summary>
    public SparseCodes Gather(int[] rows)
    {
        var rowStart = new long[rows.Length + 1];
        for (int r = 0; r < rows.Length; r++) rowStart[r + 1] = rowStart[r] + RowStart[rows[r] + 1] - RowStart[rows[r]];
        var index = new int[rowStart[^1]];
        var value = new float[rowStart[^1]];
        for (int r = 0; r < rows.Length; r++)
        {
            RowIndex(rows[r]).CopyTo(index.AsSpan((int)rowStart[r]));
            RowValues(rows[r]).CopyTo(value.AsSpan((int)rowStart[r]));
        }
        return new SparseCodes(rows.Length, Columns, rowStart, index, value, rows.Select(r => Stimuli[r]).ToArray(), UnitNames);
    }

    /// <summary>Appends rows one at a time; the arrays grow geometrically.</summary>
    public sealed class Builder(int columns)
    {
        private readonly List<long> rowStart = [0];
        private readonly List<int> index = [];
        private readonly List<float> value = [];

        public int Columns { get; } = columns;

        public void AddDenseRow(ReadOnlySpan<float> row)
        {
            for (int c = 0; c < row.Length; c++)
            {
                if (row[c] == 0) continue;
                index.Add(c);
                value.Add(row[c]);
            }
            rowStart.Add(index.Count);
        }

        /// <summary>A row given by its (ascending) units and values; zero values are not stored.</summary>
        public void AddRow(ReadOnlySpan<int> units, ReadOnlySpan<float> values)
        {
            for (int e = 0; e < units.Length; e++)
            {
                if (values[e] == 0) continue;
                index.Add(units[e]);
                value.Add(values[e]);
            }
            rowStart.Add(index.Count);
        }

        public SparseCodes Build(long[]? stimuli = null, IReadOnlyList<string>? unitNames = null) =>
            new(rowStart.Count - 1, Columns, rowStart.ToArray(), index.ToArray(), value.ToArray(), stimuli, unitNames);
    }
}
