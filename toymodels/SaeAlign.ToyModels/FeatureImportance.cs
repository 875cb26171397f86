namespace SaeAlign.ToyModels;

/// <summary>How much each feature's reconstruction error counts in the toy loss.</summary>
public enum FeatureImportance
{
    /// <summary>Iᵢ = (1 + 2i/n)⁻², the power law of the disentanglement paper.</summary>
    Paper,

    /// <summary>Iᵢ = 0.9ⁱ, as in Elhage et al.</summary>
    Elhage,

    /// <summary>Iᵢ = 1.</summary>
    Uniform,
}

public static class FeatureImportanceWeights
{
    public static float[] For(FeatureImportance importance, int features) =>
        Enumerable.Range(0, features).Select(i => importance switch
        {
            FeatureImportance.Paper => (float)Math.Pow(1.0 + 2.0 * i / features, -2),
            FeatureImportance.Elhage => (float)Math.Pow(0.9, i),
            FeatureImportance.Uniform => 1f,
            _ => throw new ArgumentOutOfRangeException(nameof(importance)),
        }).ToArray();
}
