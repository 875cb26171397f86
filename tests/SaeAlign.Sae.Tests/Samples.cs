using SaeAlign.Core;
using SaeAlign.ToyModels;

namespace SaeAlign.Sae.Tests;

internal static class Samples
{
    /// <summary>Hidden activations of a briefly trained paper toy model (64 features in <paramref name="neurons"/> neurons) with the ground truth.</summary>
    public static (ToyEvaluation Evaluation, TrainedToyModel Model) Toy(int neurons = 32, int toySteps = 1500, int rows = 20_000)
    {
        var config = ToyPreset.Load("paper-64x32").Config with { Neurons = neurons, Steps = toySteps, EvalRows = rows };
        var model = new ToyModelTrainer(config).Train([0])[0];
        return (ToyEvaluation.Generate(config, [model]), model);
    }

    public static ActivationSet Random(int rows, int columns, int seed)
    {
        var random = new Random(seed);
        var values = new float[rows * columns];
        for (int i = 0; i < values.Length; i++) values[i] = random.NextDouble() < 0.3 ? (float)random.NextDouble() : 0f;
        return new ActivationSet(values, rows, columns);
    }

    public static string TempFolder()
    {
        var path = Path.Combine(Path.GetTempPath(), "saealign-sae-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        return path;
    }
}
