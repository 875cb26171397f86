namespace SaeAlign.ToyModels.Networks;

/// <summary>
/// A nonlinear regression teacher: y = V ReLU(U x) with U [Features x Inputs] ~ N(0, 1/Inputs) and V [Outputs x Features]
/// ~ N(0, 1), each output scaled to unit variance over Gaussian inputs (measured on a seeded sample) so that noise of
/// variance 1/SNR gives that signal-to-noise ratio, as for <see cref="LinearTeacher"/>.
/// </summary>
public sealed record RandomFeatureTeacher(int Inputs, int Features, int Outputs, double[] U, double[] V)
{
    private const int CalibrationRows = 4096;

    public static RandomFeatureTeacher Draw(int inputs, int features, int outputs, long seed)
    {
        var random = new GaussianRandom(seed);
        var teacher = new RandomFeatureTeacher(inputs, features, outputs, random.Next(features * inputs, 1 / Math.Sqrt(inputs)), random.Next(outputs * features));
        var sample = teacher.DrawInputs(CalibrationRows, seed ^ 0x5DEECE66DL);
        var y = teacher.Clean(sample, CalibrationRows);
        for (int o = 0; o < outputs; o++)
        {
            double mean = 0, squares = 0;
            for (int r = 0; r < CalibrationRows; r++) mean += y[r * outputs + o];
            mean /= CalibrationRows;
            for (int r = 0; r < CalibrationRows; r++) squares += (y[r * outputs + o] - mean) * (y[r * outputs + o] - mean);
            double sd = Math.Sqrt(squares / (CalibrationRows - 1));
            for (int f = 0; f < features; f++) teacher.V[o * features + f] /= sd;
        }
        return teacher;
    }

    public double[] DrawInputs(int rows, long seed) => new GaussianRandom(seed).Next(rows * Inputs);

    public double[] Clean(double[] inputs, int rows)
    {
        var features = LinearNetwork.Multiply(inputs, rows, Inputs, U, Features);
        for (int i = 0; i < features.Length; i++) features[i] = Math.Max(0, features[i]);
        return LinearNetwork.Multiply(features, rows, Features, V, Outputs);
    }
}
