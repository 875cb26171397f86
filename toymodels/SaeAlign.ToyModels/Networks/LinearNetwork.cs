using TorchSharp;
using static TorchSharp.torch;

namespace SaeAlign.ToyModels.Networks;

/// <summary>
/// A linear network with one hidden layer, y = B A x: A is [Hidden x Inputs], B [Outputs x Hidden], row-major.
/// Trained by full-batch gradient descent on the mean squared error from a small random initialisation, it
/// approaches the minimum-norm least-squares map (Saxe et al. 2014; Advani &amp; Saxe 2020), which
/// <see cref="MinimumNorm"/> gives in closed form.
/// </summary>
public sealed record LinearNetwork(int Inputs, int Hidden, int Outputs, double[] A, double[] B)
{
    /// <summary>The hidden layer A x for <paramref name="rows"/> inputs, [rows x Hidden].</summary>
    public double[] HiddenOf(double[] inputs, int rows) => Multiply(inputs, rows, Inputs, A, Hidden);

    public double[] Predict(double[] inputs, int rows) => Multiply(HiddenOf(inputs, rows), rows, Hidden, B, Outputs);

    /// <summary>
    /// Full-batch gradient descent on L = ‖X Aᵀ Bᵀ - Y‖² / (2 rows) for <paramref name="steps"/> steps, from A and B with
    /// i.i.d. N(0, <paramref name="initScale"/>²) entries drawn from <paramref name="seed"/>.
    /// </summary>
    public static LinearNetwork Train(double[] inputs, double[] targets, int rows, int inputCount, int hidden, int outputs,
        int steps, double learningRate, double initScale, long seed, CancellationToken ct = default)
    {
        var random = new GaussianRandom(seed);
        var a = random.Next(hidden * inputCount, initScale);
        var b = random.Next(outputs * hidden, initScale);
        var h = new double[rows * hidden];
        var residual = new double[rows * outputs];
        var gradA = new double[a.Length];
        var gradB = new double[b.Length];
        var gradH = new double[rows * hidden];
        double scale = learningRate / rows;
        for (int step = 0; step < steps; step++)
        {
            if (step % 64 == 0) ct.ThrowIfCancellationRequested();
            MultiplyInto(inputs, rows, inputCount, a, hidden, h);
            MultiplyInto(h, rows, hidden, b, outputs, residual);
            for (int i = 0; i < residual.Length; i++) residual[i] -= targets[i];
            // dL/dB = Rᵀ H / rows, dL/dH = R B, dL/dA = (dL/dH)ᵀ X / rows.
            Array.Clear(gradB);
            Array.Clear(gradA);
            Array.Clear(gradH);
            for (int r = 0; r < rows; r++)
            {
                for (int o = 0; o < outputs; o++)
                {
                    double e = residual[r * outputs + o];
                    for (int j = 0; j < hidden; j++)
                    {
                        gradB[o * hidden + j] += e * h[r * hidden + j];
                        gradH[r * hidden + j] += e * b[o * hidden + j];
                    }
                }
                for (int j = 0; j < hidden; j++)
                {
                    double g = gradH[r * hidden + j];
                    for (int i = 0; i < inputCount; i++) gradA[j * inputCount + i] += g * inputs[r * inputCount + i];
                }
            }
            for (int i = 0; i < a.Length; i++) a[i] -= scale * gradA[i];
            for (int i = 0; i < b.Length; i++) b[i] -= scale * gradB[i];
        }
        if (!a.All(double.IsFinite) || !b.All(double.IsFinite))
            throw new SaeAlign.Core.TrainingDivergedException($"Linear network training diverged at learning rate {learningRate}; use a smaller one.");
        return new LinearNetwork(inputCount, hidden, outputs, a, b);
    }

    /// <summary>
    /// The closed form gradient descent from vanishing initialisation converges to: W = (X⁺ Y)ᵀ, the minimum-norm least-squares
    /// map, factored in balance as A = S^½ Vᵀ, B = U S^½ over its top <paramref name="hidden"/> singular values (W = U S Vᵀ).
    /// The hidden layer is thereby fixed up to the rotation gradient descent leaves free, which CKA does not see.
    /// </summary>
    public static LinearNetwork MinimumNorm(double[] inputs, double[] targets, int rows, int inputCount, int hidden, int outputs)
    {
        using var scope = NewDisposeScope();
        var x = tensor(inputs, [rows, inputCount], ScalarType.Float64);
        var y = tensor(targets, [rows, outputs], ScalarType.Float64);
        var w = linalg.pinv(x).matmul(y).t();
        var (u, s, vt) = linalg.svd(w, fullMatrices: false);
        int rank = (int)Math.Min(hidden, s.shape[0]);
        var root = s.narrow(0, 0, rank).sqrt();
        var a = zeros(hidden, inputCount, ScalarType.Float64);
        var b = zeros(outputs, hidden, ScalarType.Float64);
        a.narrow(0, 0, rank).copy_(root.unsqueeze(1) * vt.narrow(0, 0, rank));
        b.narrow(1, 0, rank).copy_(u.narrow(1, 0, rank) * root.unsqueeze(0));
        return new LinearNetwork(inputCount, hidden, outputs, a.contiguous().data<double>().ToArray(), b.contiguous().data<double>().ToArray());
    }

    /// <summary>X Wᵀ for X [rows x columns] and W [outputs x columns].</summary>
    internal static double[] Multiply(double[] x, int rows, int columns, double[] w, int outputs)
    {
        var result = new double[rows * outputs];
        MultiplyInto(x, rows, columns, w, outputs, result);
        return result;
    }

    private static void MultiplyInto(double[] x, int rows, int columns, double[] w, int outputs, double[] result)
    {
        for (int r = 0; r < rows; r++)
            for (int o = 0; o < outputs; o++)
            {
                double sum = 0;
                for (int c = 0; c < columns; c++) sum += x[r * columns + c] * w[o * columns + c];
                result[r * outputs + o] = sum;
            }
    }
}
