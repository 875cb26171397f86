using SaeAlign.Alignment;
using SaeAlign.Data;
using SaeAlign.ToyModels.Networks;

namespace SaeAlign.Pipelines.Studies;

/// <summary>
/// Odd-one-out judgements made from a known embedding by noisy observers. Each judgement sees the three pair
/// similarities plus noise × z, with z (three standard normals per judgement) drawn once from the seed and reused at
/// every noise level: a judgement that is wrong at one level stays wrong at every higher level (the upper envelope of
/// three lines in the noise level never returns to its first line), so agreement with the embedding falls
/// monotonically with the noise and is 1 without it.
/// </summary>
public sealed class SyntheticTriplets
{
    private readonly Triplet[] items;
    private readonly double[] noise;

    private SyntheticTriplets(Triplet[] items, double[] noise)
    {
        this.items = items;
        this.noise = noise;
    }

    public int Count => items.Length;

    /// <summary>
    /// <paramref name="unique"/> triplets judged once, then <paramref name="repeated"/> triplets judged by each of
    /// <paramref name="subjects"/> subjects (for the noise ceiling), over <paramref name="itemCount"/> items.
    /// </summary>
    public static SyntheticTriplets Draw(int itemCount, int unique, int repeated, int subjects, long seed)
    {
        if (itemCount < 3) throw new ArgumentOutOfRangeException(nameof(itemCount), "A triplet needs three items.");
        var random = new GaussianRandom(seed);
        var list = new List<Triplet>();
        int Item() => random.NextIndex(itemCount);
        Triplet Fresh()
        {
            int i = Item(), j, k;
            do j = Item(); while (j == i);
            do k = Item(); while (k == i || k == j);
            return new Triplet(i, j, k, i);
        }
        for (int t = 0; t < unique; t++) list.Add(Fresh() with { Subject = "s0" });
        for (int t = 0; t < repeated; t++)
        {
            var triplet = Fresh();
            for (int s = 0; s < subjects; s++) list.Add(triplet with { Subject = $"s{s}" });
        }
        return new SyntheticTriplets(list.ToArray(), random.Next(3 * list.Count));
    }

    /// <summary>Every judgement made from <paramref name="embedding"/> at observation noise <paramref name="level"/> (≥ 0).</summary>
    public IReadOnlyList<Triplet> Judge(Matrix embedding, double level, SimilarityKind similarity)
    {
        var result = new Triplet[items.Length];
        for (int g = 0; g < items.Length; g++)
        {
            var t = items[g];
            double ij = TripletAgreement.Similarity(embedding.Row(t.I), embedding.Row(t.J), similarity) + level * noise[3 * g];
            double ik = TripletAgreement.Similarity(embedding.Row(t.I), embedding.Row(t.K), similarity) + level * noise[3 * g + 1];
            double jk = TripletAgreement.Similarity(embedding.Row(t.J), embedding.Row(t.K), similarity) + level * noise[3 * g + 2];
            result[g] = t with { Odd = TripletAgreement.OddOf(t, ij, ik, jk) };
        }
        return result;
    }
}
