namespace SaeAlign.ToyModels;

/// <summary>
/// How a toy model packs its features (Elhage et al. 2022): dimensions per feature m / ||W||_F² and each
/// feature's dimensionality Dᵢ = ||Wᵢ||² / Σⱼ (Ŵᵢ·Wⱼ)², where Wᵢ is feature i's row of W.
/// Dᵢ = 1 for a feature with a dimension of its own, 1/2 for an antipodal pair, 0 for an unlearned feature.
/// </summary>
public sealed record FeatureGeometry(double DimensionsPerFeature, double[] Norms, double[] Dimensionality)
{
    /// <summary>Features whose direction has norm above this are counted as represented.</summary>
    public const double RepresentedNorm = 0.5;

    public int RepresentedFeatures => Norms.Count(x => x > RepresentedNorm);

    /// <param name="w">Row-major [features x neurons].</param>
    public static FeatureGeometry Of(ReadOnlySpan<float> w, int features, int neurons)
    {
        if (w.Length != features * neurons)
            throw new ArgumentException($"{w.Length} weights are not {features} x {neurons}.", nameof(w));
        var gram = new double[features, features];
        for (int i = 0; i < features; i++)
        for (int j = i; j < features; j++)
        {
            double dot = 0;
            for (int k = 0; k < neurons; k++) dot += (double)w[i * neurons + k] * w[j * neurons + k];
            gram[i, j] = gram[j, i] = dot;
        }
        var norms = new double[features];
        var dims = new double[features];
        double frobenius = 0;
        for (int i = 0; i < features; i++)
        {
            double squared = gram[i, i];
            frobenius += squared;
            norms[i] = Math.Sqrt(squared);
            if (squared == 0) continue;
            double interference = 0;
            for (int j = 0; j < features; j++) interference += gram[i, j] * gram[i, j] / squared;
            dims[i] = squared / interference;
        }
        return new FeatureGeometry(frobenius == 0 ? double.PositiveInfinity : neurons / frobenius, norms, dims);
    }
}
