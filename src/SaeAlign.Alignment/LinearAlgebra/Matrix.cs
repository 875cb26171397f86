using SaeAlign.Core;

namespace SaeAlign.Alignment;

/// <summary>A dense float64 matrix stored row-major; the metrics' working type for moments and mappings.</summary>
public sealed class Matrix
{
    public Matrix(int rows, int columns, double[]? data = null)
    {
        if (rows < 0 || columns < 0) throw new ArgumentOutOfRangeException(nameof(rows), $"{rows} x {columns} is not a matrix shape.");
        data ??= new double[(long)rows * columns];
        if (data.LongLength != (long)rows * columns)
            throw new ArgumentException($"{data.Length} values do not fill {rows} x {columns}.", nameof(data));
        Rows = rows;
        Columns = columns;
        Data = data;
    }

    public int Rows { get; }
    public int Columns { get; }
    public double[] Data { get; }

    public double this[int row, int column]
    {
        get => Data[(long)row * Columns + column];
        set => Data[(long)row * Columns + column] = value;
    }

    public Span<double> Row(int row) => Data.AsSpan(row * Columns, Columns);

    public double[] Diagonal()
    {
        var diagonal = new double[Math.Min(Rows, Columns)];
        for (int i = 0; i < diagonal.Length; i++) diagonal[i] = this[i, i];
        return diagonal;
    }

    public Matrix Transpose()
    {
        var result = new Matrix(Columns, Rows);
        for (int i = 0; i < Rows; i++)
            for (int j = 0; j < Columns; j++)
                result[j, i] = this[i, j];
        return result;
    }

    /// <summary>The sub-matrix of the given rows and columns, in the given order.</summary>
    public Matrix Select(IReadOnlyList<int> rows, IReadOnlyList<int> columns)
    {
        var result = new Matrix(rows.Count, columns.Count);
        for (int i = 0; i < rows.Count; i++)
            for (int j = 0; j < columns.Count; j++)
                result[i, j] = this[rows[i], columns[j]];
        return result;
    }

    /// <summary>An activation set's values widened to float64 (metrics accumulate in float64).</summary>
    public static Matrix From(ActivationSet set) => new(set.Rows, set.Columns, Array.ConvertAll(set.Values, v => (double)v));

    public static Matrix FromRows(double[][] rows)
    {
        int columns = rows.Length == 0 ? 0 : rows[0].Length;
        var result = new Matrix(rows.Length, columns);
        for (int i = 0; i < rows.Length; i++) rows[i].CopyTo(result.Row(i));
        return result;
    }
}
