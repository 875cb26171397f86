using SaeAlign.Core;

namespace SaeAlign.Data.Tests;

internal static class Samples
{
    /// <summary>A reproducible set with about half its values zero (as ReLU activations are) and non-default ids and names.</summary>
    public static ActivationSet Activations(int rows, int columns, int seed = 1)
    {
        var random = new Random(seed);
        var values = new float[rows * columns];
        for (int i = 0; i < values.Length; i++)
            values[i] = random.NextDouble() < 0.5 ? 0f : (float)(random.NextDouble() * 4 - 1);
        var stimuli = Enumerable.Range(0, rows).Select(i => 1000L + 3 * i).ToArray();
        var names = Enumerable.Range(0, columns).Select(i => $"neuron {i} é").ToArray();
        return new ActivationSet(values, rows, columns, stimuli, names);
    }
}
