namespace SaeAlign.Core;

/// <summary>
/// Activations of one representation: rows are stimuli, columns are units (neurons or latents),
/// stored row-major as float32 (README, "File formats": activation set).
/// </summary>
public sealed record ActivationSet
{
    public ActivationSet(float[] values, int rows, int columns, long[]? stimuli = null, IReadOnlyList<string>? unitNames = null)
    {
        if (rows < 0 || columns < 0 || (long)rows * columns != values.Length)
            throw new ArgumentException($"{values.Length} values do not fill {rows} rows x {columns} columns.", nameof(values));
        if (stimuli is not null && stimuli.Length != rows)
            throw new ArgumentException($"{stimuli.Length} stimulus ids for {rows} rows.", nameof(stimuli));
        if (unitNames is not null && unitNames.Count != columns)
            throw new ArgumentException($"{unitNames.Count} unit names for {columns} columns.", nameof(unitNames));
        Values = values;
        Rows = rows;
        Columns = columns;
        Stimuli = stimuli ?? Enumerable.Range(0, rows).Select(i => (long)i).ToArray();
        UnitNames = unitNames ?? DefaultUnitNames(columns);
    }

    /// <summary>Row-major values, <see cref="Rows"/> x <see cref="Columns"/>.</summary>
    public float[] Values { get; }
    public int Rows { get; }
    public int Columns { get; }
    /// <summary>One id per row; rows of two sets are the same stimuli when their ids agree.</summary>
    public long[] Stimuli { get; }
    public IReadOnlyList<string> UnitNames { get; }

    public float this[int row, int column] => Values[(long)row * Columns + column];

    public ReadOnlySpan<float> Row(int row) => Values.AsSpan(row * Columns, Columns);

    /// <summary>Rows [<paramref name="first"/>, <paramref name="first"/> + <paramref name="count"/>) with their stimulus ids and the unit names (a copy).</summary>
    public ActivationSet Slice(int first, int count) =>
        new(Values.AsSpan(first * Columns, count * Columns).ToArray(), count, Columns, Stimuli.AsSpan(first, count).ToArray(), UnitNames);

    /// <summary>The rows <paramref name="rows"/> in that order (repeats allowed), with their stimulus ids: a permutation or resample of the stimuli.</summary>
    public ActivationSet Gather(int[] rows)
    {
        var values = new float[(long)rows.Length * Columns];
        for (int r = 0; r < rows.Length; r++) Row(rows[r]).CopyTo(values.AsSpan((int)((long)r * Columns)));
        return new ActivationSet(values, rows.Length, Columns, rows.Select(r => Stimuli[r]).ToArray(), UnitNames);
    }

    /// <summary>The unit names the Parquet layout uses when none are given: u0000, u0001, ...</summary>
    public static IReadOnlyList<string> DefaultUnitNames(int columns) =>
        Enumerable.Range(0, columns).Select(i => $"u{i:D4}").ToArray();

    /// <summary>Throws <see cref="InvalidInputException"/> naming the first NaN or infinite value's row and column.</summary>
    public void EnsureFinite(string source)
    {
        for (int i = 0; i < Values.Length; i++)
        {
            if (!float.IsFinite(Values[i]))
                throw new InvalidInputException(
                    $"{source}: row {i / Columns}, column {i % Columns} ({UnitNames[i % Columns]}) is {Values[i]}; activations must be finite.");
        }
    }
}
