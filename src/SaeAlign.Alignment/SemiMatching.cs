namespace SaeAlign.Alignment;

/// <summary>
/// Semi-matching (source -> target): each target unit j takes the source unit i*(j) = argmax_i corr_fit(x_i, y_j);
/// several targets may share a source unit. Score = mean_j corr_test(x_i*(j), y_j).
/// </summary>
public static class SemiMatching
{
    public static SemiMatchingFit Fit(PairMoments train) => Fit(train.Correlation());

    /// <summary>Ties go to the lowest source index, as numpy's argmax.</summary>
    public static SemiMatchingFit Fit(Matrix correlation)
    {
        var source = new int[correlation.Columns];
        for (int j = 0; j < correlation.Columns; j++)
        {
            int best = 0;
            for (int i = 1; i < correlation.Rows; i++)
                if (correlation[i, j] > correlation[best, j]) best = i;
            source[j] = best;
        }
        return new SemiMatchingFit(source);
    }
}

/// <summary>The source unit chosen for each target unit.</summary>
public sealed record SemiMatchingFit(int[] SourceOfTarget) : IFittedMapping
{
    public double Score(PairMoments test) => Score(test.Correlation());

    public double Score(Matrix correlation)
    {
        double sum = 0;
        for (int j = 0; j < SourceOfTarget.Length; j++) sum += correlation[SourceOfTarget[j], j];
        return sum / SourceOfTarget.Length;
    }
}
