using SaeAlign.Core;

namespace SaeAlign.ToyModels.Networks;

/// <summary>
/// A small ReLU network with one hidden layer, y = W2 ReLU(W1 x + b1) + b2 (row-major: W1 [Hidden x Inputs],
/// W2 [Outputs x Hidden]), trained by full-batch gradient descent on the mean squared error; for classification the
/// targets are one-hot labels (square-loss classification).
/// </summary>
public sealed record ReluMlp(int Inputs, int Hidden, int Outputs, double[] W1, double[] B1, double[] W2, double[] B2)
{
    /// <summary>Trainable parameters; the interpolation threshold of N samples sits near Parameters / Outputs.</summary>
    public static int ParameterCount(int inputs, int hidden, int outputs) => hidden * inputs + hidden + outputs * hidden + outputs;

    /// <summary>ReLU(W1 x + b1) for <paramref name="rows"/> inputs, [rows x Hidden].</summary>
    public double[] HiddenOf(double[] inputs, int rows)
    {
        var h = LinearNetwork.Multiply(inputs, rows, Inputs, W1, Hidden);
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < Hidden; j++)
                h[r * Hidden + j] = Math.Max(0, h[r * Hidden + j] + B1[j]);
        return h;
    }

    public double[] Predict(double[] inputs, int rows)
    {
        var y = LinearNetwork.Multiply(HiddenOf(inputs, rows), rows, Hidden, W2, Outputs);
        for (int r = 0; r < rows; r++)
            for (int o = 0; o < Outputs; o++) y[r * Outputs + o] += B2[o];
        return y;
    }

    /// <summary>
    /// Full-batch gradient descent on ‖y - target‖² / (2 rows) from He-normal W1, N(0, 1/Hidden) W2 and zero biases
    /// drawn from <paramref name="seed"/>.
    /// </summary>
    public static ReluMlp Train(double[] inputs, double[] targets, int rows, int inputCount, int hidden, int outputs,
        int steps, double learningRate, long seed, CancellationToken ct = default)
    {
        var random = new GaussianRandom(seed);
        var net = new ReluMlp(inputCount, hidden, outputs,
            random.Next(hidden * inputCount, Math.Sqrt(2.0 / inputCount)), new double[hidden],
            random.Next(outputs * hidden, Math.Sqrt(1.0 / hidden)), new double[outputs]);
        var gradW1 = new double[net.W1.Length];
        var gradB1 = new double[hidden];
        var gradW2 = new double[net.W2.Length];
        var gradB2 = new double[outputs];
        double scale = learningRate / rows;
        for (int step = 0; step < steps; step++)
        {
            if (step % 64 == 0) ct.ThrowIfCancellationRequested();
            var h = net.HiddenOf(inputs, rows);
            var residual = LinearNetwork.Multiply(h, rows, hidden, net.W2, outputs);
            Array.Clear(gradW1);
            Array.Clear(gradB1);
            Array.Clear(gradW2);
            Array.Clear(gradB2);
            for (int r = 0; r < rows; r++)
            {
                for (int o = 0; o < outputs; o++)
                {
                    double e = residual[r * outputs + o] + net.B2[o] - targets[r * outputs + o];
                    gradB2[o] += e;
                    for (int j = 0; j < hidden; j++) gradW2[o * hidden + j] += e * h[r * hidden + j];
                    residual[r * outputs + o] = e;
                }
                for (int j = 0; j < hidden; j++)
                {
                    // The ReLU passes gradient only where the unit is active.
                    if (h[r * hidden + j] <= 0) continue;
                    double g = 0;
                    for (int o = 0; o < outputs; o++) g += residual[r * outputs + o] * net.W2[o * hidden + j];
                    gradB1[j] += g;
                    for (int i = 0; i < inputCount; i++) gradW1[j * inputCount + i] += g * inputs[r * inputCount + i];
                }
            }
            Step(net.W1, gradW1, scale);
            Step(net.B1, gradB1, scale);
            Step(net.W2, gradW2, scale);
            Step(net.B2, gradB2, scale);
        }
        if (!net.W1.All(double.IsFinite) || !net.W2.All(double.IsFinite))
            throw new TrainingDivergedException($"MLP training diverged at learning rate {learningRate}; use a smaller one.");
        return net;
    }

    private static void Step(double[] parameters, double[] gradient, double scale)
    {
        for (int i = 0; i < parameters.Length; i++) parameters[i] -= scale * gradient[i];
    }
}
