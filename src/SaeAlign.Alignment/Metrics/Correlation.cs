namespace SaeAlign.Alignment;

/// <summary>Pearson and Spearman correlation of two vectors, in float64.</summary>
public static class Correlation
{
    public static double Pearson(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        double ma = 0, mb = 0;
        for (int i = 0; i < a.Length; i++) { ma += a[i]; mb += b[i]; }
        ma /= a.Length;
        mb /= b.Length;
        double sab = 0, saa = 0, sbb = 0;
        for (int i = 0; i < a.Length; i++)
        {
            double da = a[i] - ma, db = b[i] - mb;
            sab += da * db;
            saa += da * da;
            sbb += db * db;
        }
        double scale = Math.Sqrt(saa * sbb);
        return scale > 0 ? sab / scale : double.NaN;
    }

    /// <summary>Pearson of the average ranks (ties share their mean rank), as scipy.stats.spearmanr.</summary>
    public static double Spearman(double[] a, double[] b) => Pearson(Ranks(a), Ranks(b));

    /// <summary>Pearson from running sums over <paramref name="count"/> pairs (streamed RDM triangles).</summary>
    internal static double FromSums(double count, double sa, double sb, double saa, double sbb, double sab)
    {
        double cov = sab - sa * sb / count;
        double va = saa - sa * sa / count;
        double vb = sbb - sb * sb / count;
        double scale = Math.Sqrt(va * vb);
        return scale > 0 ? cov / scale : double.NaN;
    }

    /// <summary>1-based average ranks.</summary>
    public static double[] Ranks(double[] values)
    {
        var order = new int[values.Length];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        var keys = (double[])values.Clone();
        Array.Sort(keys, order);
        var ranks = new double[values.Length];
        for (int start = 0; start < keys.Length;)
        {
            int end = start + 1;
            while (end < keys.Length && keys[end] == keys[start]) end++;
            double rank = (start + end + 1) / 2.0;
            for (int k = start; k < end; k++) ranks[order[k]] = rank;
            start = end;
        }
        return ranks;
    }
}
