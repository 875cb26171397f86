using SaeAlign.Data;

namespace SaeAlign.Alignment;

/// <summary>How a representation compares two stimuli's rows.</summary>
public enum SimilarityKind
{
    Cosine,
    Dot,
}

/// <summary>An odd-one-out agreement score with a percentile bootstrap interval over triplets.</summary>
public sealed record TripletScore(double Score, double Lower, double Upper, double Confidence, int Triplets, int Resamples);

/// <summary>
/// Odd-one-out agreement (the THINGS triplet task): a representation picks as odd the stimulus left out of
/// the most similar pair (cosine or dot-product similarity); agreement = the fraction of triplets where its choice
/// equals the judgement. Ties between pair similarities go to the first pair in the order (I,J), (I,K), (J,K).
/// </summary>
public static class TripletAgreement
{
    public const int DefaultResamples = 1000;

    /// <summary>Fraction of <paramref name="triplets"/> where <paramref name="rows"/> picks the judged odd one; row indices refer to <paramref name="rows"/>.</summary>
    public static double Score(Matrix rows, IReadOnlyList<Triplet> triplets, SimilarityKind similarity = SimilarityKind.Cosine) =>
        triplets.Count(t => OddOneOut(rows, t, similarity) == t.Odd) / (double)triplets.Count;

    /// <summary>
    /// <see cref="Score"/> with a percentile bootstrap interval: <paramref name="resamples"/> resamples of the triplets
    /// with replacement, drawn from <paramref name="seed"/> (SplitMix64, so the interval is reproducible).
    /// </summary>
    public static TripletScore Bootstrap(Matrix rows, IReadOnlyList<Triplet> triplets, SimilarityKind similarity = SimilarityKind.Cosine,
        int resamples = DefaultResamples, long seed = 0, double confidence = 0.95, CancellationToken ct = default)
    {
        if (triplets.Count == 0) throw new ArgumentException("No triplets to score.", nameof(triplets));
        if (resamples < 1) throw new ArgumentOutOfRangeException(nameof(resamples), $"{resamples} bootstrap resamples; need at least 1.");
        if (confidence is <= 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(confidence), $"confidence {confidence} must be in (0, 1).");
        var hit = triplets.Select(t => OddOneOut(rows, t, similarity) == t.Odd).ToArray();
        int n = hit.Length;
        var random = new SplitMix64(seed);
        var scores = new double[resamples];
        for (int b = 0; b < resamples; b++)
        {
            ct.ThrowIfCancellationRequested();
            int count = 0;
            for (int r = 0; r < n; r++)
                if (hit[random.Next() % (ulong)n]) count++;
            scores[b] = count / (double)n;
        }
        Array.Sort(scores);
        double tail = (1 - confidence) / 2;
        return new TripletScore(hit.Count(h => h) / (double)n, Quantile(scores, tail), Quantile(scores, 1 - tail), confidence, n, resamples);
    }

    /// <summary>Fraction of triplets where two representations pick the same odd one (judgements unused).</summary>
    public static double Agreement(Matrix source, Matrix target, IReadOnlyList<Triplet> triplets, SimilarityKind similarity = SimilarityKind.Cosine) =>
        triplets.Count(t => OddOneOut(source, t, similarity) == OddOneOut(target, t, similarity)) / (double)triplets.Count;

    public static int OddOneOut(Matrix rows, Triplet t, SimilarityKind similarity = SimilarityKind.Cosine)
    {
        double ij = Similarity(rows.Row(t.I), rows.Row(t.J), similarity);
        double ik = Similarity(rows.Row(t.I), rows.Row(t.K), similarity);
        double jk = Similarity(rows.Row(t.J), rows.Row(t.K), similarity);
        return OddOf(t, ij, ik, jk);
    }

    /// <summary>The item left out of the most similar pair, given the pair similarities; ties go to the earlier pair.</summary>
    public static int OddOf(Triplet t, double ij, double ik, double jk)
    {
        if (ij >= ik && ij >= jk) return t.K;
        return ik >= jk ? t.J : t.I;
    }

    /// <summary>Cosine (0 when either row is zero) or dot product of two rows.</summary>
    public static double Similarity(ReadOnlySpan<double> a, ReadOnlySpan<double> b, SimilarityKind kind)
    {
        double ab = 0, aa = 0, bb = 0;
        for (int u = 0; u < a.Length; u++)
        {
            ab += a[u] * b[u];
            aa += a[u] * a[u];
            bb += b[u] * b[u];
        }
        if (kind == SimilarityKind.Dot) return ab;
        double scale = Math.Sqrt(aa * bb);
        return scale > 0 ? ab / scale : 0;
    }

    /// <summary>Linear interpolation between order statistics (numpy's default quantile).</summary>
    private static double Quantile(double[] sorted, double q)
    {
        double position = q * (sorted.Length - 1);
        int low = (int)Math.Floor(position);
        int high = Math.Min(low + 1, sorted.Length - 1);
        return sorted[low] + (position - low) * (sorted[high] - sorted[low]);
    }
}

/// <summary>The "triplet" metric: agreement of the two sets' odd-one-out choices on the judged triplets, with each set's agreement with the judgements.</summary>
public sealed class TripletMetric : IAlignmentMetric
{
    public string Name => AlignmentMetric.Triplet;
    public bool Fitted => false;
    public bool Directional => false;
    public MetricNeeds Needs => MetricNeeds.TripletRows;

    public MetricResult Score(DenseInputs inputs, CancellationToken ct)
    {
        var (x, y) = inputs.TripletRows;
        var triplets = inputs.Triplets;
        return MetricResult.Unfitted(this, string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{triplets.Count} triplets"),
            TripletAgreement.Agreement(x, y, triplets),
            new Dictionary<string, double>
            {
                ["source_vs_judgements"] = TripletAgreement.Score(x, triplets),
                ["target_vs_judgements"] = TripletAgreement.Score(y, triplets),
            });
    }
}
