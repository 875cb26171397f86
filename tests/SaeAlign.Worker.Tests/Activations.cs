using SaeAlign.Data;

namespace SaeAlign.Worker.Tests;

/// <summary>Activation files for SAE jobs: seeded sparse non-negative rows, like a toy model's hidden layer.</summary>
internal static class Activations
{
    public static string WriteNpy(TempFolder data, string name, int rows, int columns, int seed = 0)
    {
        var random = new Random(seed);
        var values = new float[rows * columns];
        for (int i = 0; i < values.Length; i++)
            values[i] = random.NextDouble() < 0.3 ? (float)random.NextDouble() : 0f;
        string path = System.IO.Path.Combine(data.Path, name);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        Npy.Write(path, values, rows, columns);
        return name;
    }
}
