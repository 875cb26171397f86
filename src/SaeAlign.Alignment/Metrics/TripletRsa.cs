using SaeAlign.Data;

namespace SaeAlign.Alignment;

/// <summary>RSA between an embedding and triplet judgements, and how many item pairs it compared.</summary>
public sealed record TripletRsaResult(double Score, int Pairs);

/// <summary>
/// RSA between an embedding's item-by-item similarity matrix and the similarity the judgements imply: for items a, b,
/// the fraction of the triplets holding both in which neither was chosen as odd (the probability that a and b are
/// judged the most similar pair, as for the THINGS similarity matrix). Pairs that share no triplet are left out.
/// </summary>
public static class TripletRsa
{
    /// <summary>The judged similarity of every item pair (NaN where no triplet holds both, and on the diagonal).</summary>
    public static Matrix JudgedSimilarity(IReadOnlyList<Triplet> triplets, int items)
    {
        var together = new Matrix(items, items);
        var seen = new Matrix(items, items);
        foreach (var t in triplets)
        {
            foreach (var (a, b) in new[] { (t.I, t.J), (t.I, t.K), (t.J, t.K) })
            {
                seen[a, b]++;
                seen[b, a]++;
                if (t.Odd != a && t.Odd != b)
                {
                    together[a, b]++;
                    together[b, a]++;
                }
            }
        }
        for (int a = 0; a < items; a++)
            for (int b = 0; b < items; b++)
                together[a, b] = a != b && seen[a, b] > 0 ? together[a, b] / seen[a, b] : double.NaN;
        return together;
    }

    /// <summary>Pearson (or Spearman) between the embedding's and the judged similarities over the item pairs some triplet holds.</summary>
    public static TripletRsaResult Score(Matrix embedding, IReadOnlyList<Triplet> triplets, SimilarityKind similarity = SimilarityKind.Cosine,
        RdmComparison comparison = RdmComparison.Pearson)
    {
        var judged = JudgedSimilarity(triplets, embedding.Rows);
        var model = new List<double>();
        var human = new List<double>();
        for (int a = 0; a < embedding.Rows; a++)
            for (int b = a + 1; b < embedding.Rows; b++)
            {
                if (double.IsNaN(judged[a, b])) continue;
                model.Add(TripletAgreement.Similarity(embedding.Row(a), embedding.Row(b), similarity));
                human.Add(judged[a, b]);
            }
        if (model.Count < 3) return new TripletRsaResult(double.NaN, model.Count);
        double score = comparison == RdmComparison.Pearson
            ? Correlation.Pearson(model.ToArray(), human.ToArray())
            : Correlation.Spearman(model.ToArray(), human.ToArray());
        return new TripletRsaResult(score, model.Count);
    }
}
