namespace SaeAlign.ToyModels.Networks;

/// <summary>
/// A synthetic regression task: Gaussian inputs x ~ N(0, I) and a linear teacher y = W* x whose rows have unit norm,
/// so every clean output has unit variance and noise of variance 1/SNR gives exactly that signal-to-noise ratio.
/// Matrices are row-major: inputs [rows x Inputs], outputs [rows x Outputs], weights [Outputs x Inputs].
/// </summary>
public sealed record LinearTeacher(int Inputs, int Outputs, double[] Weights)
{
    public static LinearTeacher Draw(int inputs, int outputs, long seed)
    {
        var weights = new GaussianRandom(seed).Next(inputs * outputs);
        for (int o = 0; o < outputs; o++)
        {
            var row = weights.AsSpan(o * inputs, inputs);
            double norm = 0;
            foreach (var w in row) norm += w * w;
            norm = Math.Sqrt(norm);
            for (int i = 0; i < inputs; i++) row[i] /= norm;
        }
        return new LinearTeacher(inputs, outputs, weights);
    }

    /// <summary><paramref name="rows"/> standard normal inputs.</summary>
    public double[] DrawInputs(int rows, long seed) => new GaussianRandom(seed).Next(rows * Inputs);

    /// <summary>The clean outputs for <paramref name="rows"/> inputs.</summary>
    public double[] Clean(double[] inputs, int rows) => LinearNetwork.Multiply(inputs, rows, Inputs, Weights, Outputs);

    /// <summary>Targets with independent Gaussian noise of variance 1/<paramref name="snr"/> (the clean outputs have unit variance).</summary>
    public static double[] Noisy(double[] clean, double snr, long seed)
    {
        var noise = new GaussianRandom(seed).Next(clean.Length, 1 / Math.Sqrt(snr));
        for (int i = 0; i < noise.Length; i++) noise[i] += clean[i];
        return noise;
    }

    /// <summary>Mean squared error per output between two [rows x outputs] arrays.</summary>
    public static double MeanSquaredError(double[] predicted, double[] truth)
    {
        double sum = 0;
        for (int i = 0; i < truth.Length; i++) sum += (predicted[i] - truth[i]) * (predicted[i] - truth[i]);
        return sum / truth.Length;
    }
}
