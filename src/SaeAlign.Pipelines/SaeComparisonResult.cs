namespace SaeAlign.Pipelines;

/// <summary>
/// One kind of direction (decoder rows or encoder columns) matched one-to-one between two dictionaries: the exact
/// maximum-total-cosine matching of min(a, b) pairs (the assignment problem, solved exactly by certified min-cost flow), the cosine of each of A's latents with its partner
/// (NaN for a latent of A left without one when B is narrower), and the same for a random dictionary of B's shape.
/// </summary>
public sealed record DirectionMatch(string Directions, double[] MatchedCosines, double SharedFraction, double MeanMatchedCosine,
    double[] BaselineCosines, double BaselineSharedFraction, double BaselineMeanMatchedCosine);

/// <summary>Activation-based matching: the mean correlation of the one-to-one matched codes over the given stimuli.</summary>
public sealed record CodeMatch(int Rows, double MeanMatchedCorrelation, int DeadA, int DeadB);

/// <summary>What <see cref="SaeComparison"/> found: A's latents matched in B by decoder and by encoder directions, and by codes when activations were given.</summary>
public sealed record SaeComparisonResult(int DIn, int LatentsA, int LatentsB, double Threshold, DirectionMatch Decoder, DirectionMatch Encoder, CodeMatch? Codes);
