using SaeAlign.Core;
using SaeAlign.Data;

namespace SaeAlign.Alignment;

/// <summary>One odd-one-out judgement: of stimuli I, J, K (row indices), Odd was picked as the odd one.</summary>
public readonly record struct Triplet(int I, int J, int K, int Odd);

/// <summary>
/// Odd-one-out agreement (the THINGS triplet task): a representation picks as odd the stimulus left out of
/// the most similar pair (cosine similarity); agreement = the fraction of triplets where its choice equals
/// the judgement. Ties between pair similarities go to the first pair in the order (I,J), (I,K), (J,K).
/// </summary>
public static class TripletAgreement
{
    /// <summary>Fraction of <paramref name="triplets"/> where <paramref name="rows"/> picks the judged odd one; row indices refer to <paramref name="rows"/>.</summary>
    public static double Score(Matrix rows, IReadOnlyList<Triplet> triplets) =>
        triplets.Count(t => OddOneOut(rows, t) == t.Odd) / (double)triplets.Count;

    /// <summary>Fraction of triplets where two representations pick the same odd one (judgements unused).</summary>
    public static double Agreement(Matrix source, Matrix target, IReadOnlyList<Triplet> triplets) =>
        triplets.Count(t => OddOneOut(source, t) == OddOneOut(target, t)) / (double)triplets.Count;

    public static int OddOneOut(Matrix rows, Triplet t)
    {
        double ij = Cosine(rows.Row(t.I), rows.Row(t.J));
        double ik = Cosine(rows.Row(t.I), rows.Row(t.K));
        double jk = Cosine(rows.Row(t.J), rows.Row(t.K));
        if (ij >= ik && ij >= jk) return t.K;
        return ik >= jk ? t.J : t.I;
    }

    /// <summary>
    /// Reads triplets from Parquet: int32 or int64 columns <c>i</c>, <c>j</c>, <c>k</c>, <c>odd</c>; every index must be a
    /// row of the activation sets (0..rows-1) and <c>odd</c> one of the three.
    /// </summary>
    public static IReadOnlyList<Triplet> Read(string path, int rows)
    {
        var columns = TableParquet.Read(path);
        int[] Column(string name)
        {
            var column = columns.FirstOrDefault(c => c.Name == name)
                ?? throw new InvalidInputException($"{path}: no '{name}' column; a triplet file has integer columns i, j, k, odd.");
            return column.Values switch
            {
                int[] v => v,
                long[] v => v.Select((x, r) => x is >= int.MinValue and <= int.MaxValue ? (int)x
                    : throw new InvalidInputException($"{path}: row {r}, column '{name}': {x} is not a row index.")).ToArray(),
                _ => throw new InvalidInputException($"{path}: column '{name}' must be int32 or int64."),
            };
        }
        int[] i = Column("i"), j = Column("j"), k = Column("k"), odd = Column("odd");
        InvalidInputException.Require(i.Length > 0, $"{path}: no triplets.");
        var triplets = new Triplet[i.Length];
        for (int r = 0; r < i.Length; r++)
        {
            foreach (var (name, value) in new[] { ("i", i[r]), ("j", j[r]), ("k", k[r]) })
                InvalidInputException.Require(value >= 0 && value < rows,
                    $"{path}: row {r}, column '{name}': {value} is outside the activation rows 0..{rows - 1}.");
            InvalidInputException.Require(odd[r] == i[r] || odd[r] == j[r] || odd[r] == k[r],
                $"{path}: row {r}, column 'odd': {odd[r]} is not one of i, j, k ({i[r]}, {j[r]}, {k[r]}).");
            triplets[r] = new Triplet(i[r], j[r], k[r], odd[r]);
        }
        return triplets;
    }

    private static double Cosine(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        double ab = 0, aa = 0, bb = 0;
        for (int u = 0; u < a.Length; u++)
        {
            ab += a[u] * b[u];
            aa += a[u] * a[u];
            bb += b[u] * b[u];
        }
        double scale = Math.Sqrt(aa * bb);
        return scale > 0 ? ab / scale : 0;
    }
}
