namespace SaeAlign.ToyModels.Networks;

/// <summary>
/// Standard normal draws (Box-Muller) from a seeded <see cref="Random"/>, whose seeded sequence is fixed across
/// .NET versions: the synthetic teachers, inputs and noise of the studies are reproducible from their seed.
/// </summary>
public sealed class GaussianRandom(long seed)
{
    private readonly Random random = new(unchecked((int)seed ^ (int)(seed >> 32)));

    public double Next() => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    /// <summary>A fresh array of <paramref name="count"/> draws times <paramref name="scale"/>.</summary>
    public double[] Next(int count, double scale = 1)
    {
        var values = new double[count];
        for (int i = 0; i < count; i++) values[i] = scale * Next();
        return values;
    }

    /// <summary>A uniform integer in [0, <paramref name="count"/>).</summary>
    public int NextIndex(int count) => random.Next(count);
}
