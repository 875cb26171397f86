namespace SaeAlign.Core;

/// <summary>
/// The assignment problem on a dense cost matrix (what scipy's linear_sum_assignment solves): a one-to-one matching of
/// rows to columns of least total cost, with min(rows, columns) pairs. Hungarian method with potentials (shortest
/// augmenting paths), O(n² m) for n ≤ m: meant for matrices of a few thousand rows, such as an SAE's decoder against a
/// toy model's features.
/// </summary>
public static class LinearAssignment
{
    /// <summary>
    /// For each row of the row-major <paramref name="rows"/> x <paramref name="columns"/> <paramref name="cost"/>, the
    /// column it is matched to, or -1 when there are more rows than columns and it is left out.
    /// </summary>
    public static int[] Minimize(double[] cost, int rows, int columns)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(columns);
        if ((long)rows * columns != cost.LongLength) throw new ArgumentException($"{cost.LongLength} costs do not fill {rows} x {columns}.", nameof(cost));
        if (rows <= columns) return Solve((i, j) => cost[(long)i * columns + j], rows, columns);
        // More rows than columns: match the columns to rows, then read it the other way round.
        var columnRow = Solve((j, i) => cost[(long)i * columns + j], columns, rows);
        var rowColumn = Enumerable.Repeat(-1, rows).ToArray();
        for (int j = 0; j < columns; j++) rowColumn[columnRow[j]] = j;
        return rowColumn;
    }

    /// <summary>n ≤ m: every row is matched. Potentials u (rows) and v (columns) keep reduced costs non-negative.</summary>
    private static int[] Solve(Func<int, int, double> cost, int n, int m)
    {
        var u = new double[n + 1];
        var v = new double[m + 1];
        var rowOf = new int[m + 1]; // 1-based row matched to column j; column 0 is the free row being placed
        var previous = new int[m + 1];
        var slack = new double[m + 1];
        var visited = new bool[m + 1];
        for (int row = 1; row <= n; row++)
        {
            rowOf[0] = row;
            int column = 0;
            Array.Fill(slack, double.PositiveInfinity);
            Array.Clear(visited);
            do
            {
                visited[column] = true;
                int i = rowOf[column], next = 0;
                double delta = double.PositiveInfinity;
                for (int j = 1; j <= m; j++)
                {
                    if (visited[j]) continue;
                    double reduced = cost(i - 1, j - 1) - u[i] - v[j];
                    if (reduced < slack[j])
                    {
                        slack[j] = reduced;
                        previous[j] = column;
                    }
                    if (slack[j] < delta)
                    {
                        delta = slack[j];
                        next = j;
                    }
                }
                for (int j = 0; j <= m; j++)
                {
                    if (visited[j])
                    {
                        u[rowOf[j]] += delta;
                        v[j] -= delta;
                    }
                    else slack[j] -= delta;
                }
                column = next;
            }
            while (rowOf[column] != 0);
            // Flip the augmenting path back to the free row.
            do
            {
                int before = previous[column];
                rowOf[column] = rowOf[before];
                column = before;
            }
            while (column != 0);
        }
        var assignment = new int[n];
        for (int j = 1; j <= m; j++)
            if (rowOf[j] != 0) assignment[rowOf[j] - 1] = j - 1;
        return assignment;
    }
}
