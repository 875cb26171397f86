using System.Text.Json;
using SaeAlign.Core;
using SaeAlign.Data;

namespace SaeAlign.Tool.Tests;

/// <summary>`align` on sparse codes (as `sae encode` writes them) takes the sparse route and gives the dense route's scores.</summary>
public class SparseAlignTests
{
    private static SparseCodes Codes(int rows, int latents, int seed)
    {
        var random = new Random(seed);
        var shared = new Random(7);
        var builder = new SparseCodes.Builder(latents);
        var row = new float[latents];
        for (int r = 0; r < rows; r++)
        {
            Array.Clear(row);
            row[shared.Next(latents / 2) * 2 + seed % 2] = 1 + (float)shared.NextDouble();
            for (int e = 0; e < 3; e++) row[random.Next(latents)] = (float)random.NextDouble();
            builder.AddDenseRow(row);
        }
        return builder.Build();
    }

    private static double[] Scores(Cli.Result result) => JsonDocument.Parse(result.Out).RootElement.GetProperty("result").GetProperty("metrics")
        .EnumerateArray().Select(m => m.GetProperty("score").GetDouble()).ToArray();

    [Test]
    public async Task SparseParquetCodesGiveTheScoresOfTheirDenseNpy()
    {
        var folder = Cli.TempFolder();
        Directory.CreateDirectory(folder);
        var x = Codes(2000, 60, 1);
        var y = Codes(2000, 50, 2);
        string sx = Path.Combine(folder, "x.parquet"), sy = Path.Combine(folder, "y.parquet");
        ActivationParquet.Write(sx, x);
        ActivationParquet.Write(sy, y);
        string dx = Path.Combine(folder, "x.npy"), dy = Path.Combine(folder, "y.npy");
        Npy.Write(dx, x.ToDense());
        Npy.Write(dy, y.ToDense());
        string[] options = ["--metrics", "semi,soft,one-to-one,cka", "--cv", "kfold:4:2", "--quiet", "--json"];
        var sparse = await Cli.Run(["align", "--source", sx, "--target", sy, .. options]);
        var dense = await Cli.Run(["align", "--source", dx, "--target", dy, .. options]);
        Assert.That(sparse.ExitCode, Is.Zero, sparse.Error);
        Assert.That(dense.ExitCode, Is.Zero, dense.Error);
        Assert.That(Scores(sparse), Is.EqualTo(Scores(dense)).Within(1e-9));
    }

    [Test]
    public async Task AMetricThatCannotFitTheMemoryLimitExitsTwoNamingIt()
    {
        var folder = Cli.TempFolder();
        Directory.CreateDirectory(folder);
        string sx = Path.Combine(folder, "x.parquet");
        ActivationParquet.Write(sx, Codes(2000, 200, 1));
        var result = await Cli.Run("align", "--source", sx, "--target", sx, "--metrics", "semi,ridge", "--memory-limit", "1M", "--quiet");
        Assert.That(result.ExitCode, Is.EqualTo(2), result.Error);
        Assert.That(result.Error.Trim(), Does.StartWith("error: --metrics ridge on 2,000 stimuli x 200 source and 200 target units needs about"));
        var semi = await Cli.Run("align", "--source", sx, "--target", sx, "--metrics", "semi", "--cv", "none", "--memory-limit", "1M", "--quiet", "--json");
        Assert.That(semi.ExitCode, Is.Zero, semi.Error);
        Assert.That(Scores(semi)[0], Is.EqualTo(1).Within(1e-12));
    }

    [TestCase("lots")]
    [TestCase("0.5K")]
    public async Task ABadMemoryLimitIsNamed(string value)
    {
        var result = await Cli.Run("align", "--source", "a.npy", "--target", "b.npy", "--memory-limit", value);
        Assert.That(result.ExitCode, Is.EqualTo(2));
        Assert.That(result.Error, Does.Contain("--memory-limit"));
    }
}
