using SaeAlign.Data;

namespace SaeAlign.Alignment;

/// <summary>
/// How well any representation can agree with judgements that several subjects (or repeats) gave for the same
/// triplet. <see cref="Upper"/>: the fraction of those judgements equal to their triplet's most common choice, the best
/// a deterministic predictor can do (Hebart et al. 2020). <see cref="Lower"/>: each judgement predicted by the
/// majority of the other judgements of its triplet (a tie among c choices credits 1/c when it includes the held-out one).
/// </summary>
public sealed record TripletNoiseCeiling(double Upper, double Lower, int RepeatedTriplets, int Judgements, int Subjects)
{
    /// <summary>The ceiling over the triplets judged at least twice; null when no triplet was.</summary>
    public static TripletNoiseCeiling? Of(IReadOnlyList<Triplet> judgements)
    {
        var repeated = Repeated(judgements);
        if (repeated.Count == 0) return null;
        double upper = 0, lower = 0;
        int count = 0;
        foreach (var group in repeated.GroupBy(t => t.Items))
        {
            var counts = group.GroupBy(t => t.Odd).ToDictionary(g => g.Key, g => g.Count());
            upper += counts.Values.Max();
            foreach (var (odd, n) in counts)
            {
                // Held-out judgement with choice `odd`: the others' counts are `counts` less one of `odd`.
                int best = counts.Max(c => c.Key == odd ? c.Value - 1 : c.Value);
                int tied = counts.Count(c => (c.Key == odd ? c.Value - 1 : c.Value) == best);
                lower += n * (counts[odd] - 1 == best ? 1.0 / tied : 0);
            }
            count += group.Count();
        }
        int subjects = repeated.Select(t => t.Subject).Where(s => s is not null).Distinct().Count();
        return new TripletNoiseCeiling(upper / count, lower / count, repeated.Select(t => t.Items).Distinct().Count(), count, subjects);
    }

    /// <summary>The judgements of triplets judged at least twice, in input order: score a representation on these to compare it with the ceiling.</summary>
    public static IReadOnlyList<Triplet> Repeated(IReadOnlyList<Triplet> judgements)
    {
        var times = judgements.CountBy(t => t.Items).ToDictionary();
        return judgements.Where(t => times[t.Items] >= 2).ToArray();
    }
}
