namespace SaeAlign.ToyModels.Networks;

/// <summary>Class labels as one-hot rows (targets of square-loss classification) and the error rate of scores against them.</summary>
public static class Classes
{
    /// <summary>One-hot rows of each row's highest score ([rows x classes] in, same shape out); ties go to the first class.</summary>
    public static double[] OneHot(double[] scores, int classes)
    {
        var result = new double[scores.Length];
        for (int r = 0; r < scores.Length / classes; r++) result[r * classes + ArgMax(scores, r, classes)] = 1;
        return result;
    }

    /// <summary>The fraction of rows whose highest score is not the labelled class.</summary>
    public static double ErrorRate(double[] scores, double[] oneHot, int classes)
    {
        int rows = scores.Length / classes, wrong = 0;
        for (int r = 0; r < rows; r++)
            if (oneHot[r * classes + ArgMax(scores, r, classes)] != 1) wrong++;
        return wrong / (double)rows;
    }

    private static int ArgMax(double[] scores, int row, int classes)
    {
        int best = 0;
        for (int c = 1; c < classes; c++)
            if (scores[row * classes + c] > scores[row * classes + best]) best = c;
        return best;
    }
}
