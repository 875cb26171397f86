using SaeAlign.Data;

namespace SaeAlign.Tool.Tests;

/// <summary>
/// Bad input found by probing the tool as a new user would: each case exits 2 with one line that names the file
/// or option and the cause, never a .NET trace or type name, and writes nothing.
/// </summary>
public class BadInputTests
{
    private static string Npy(string folder, string name, int rows, int columns)
    {
        Directory.CreateDirectory(folder);
        string path = Path.Combine(folder, name);
        var values = Enumerable.Range(0, rows * columns).Select(i => (float)Math.Sin(i)).ToArray();
        Data.Npy.Write(path, values, rows, columns);
        return path;
    }

    private static void AssertOneLine(Cli.Result result, params string[] mentions)
    {
        Assert.That(result.ExitCode, Is.EqualTo(2), result.Error);
        var lines = result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(1), result.Error);
        Assert.That(lines[0], Does.StartWith("error: "));
        foreach (var mention in mentions) Assert.That(lines[0], Does.Contain(mention));
        Assert.That(lines[0], Does.Not.Contain("System.").And.Not.Contain("Exception").And.Not.Contain("`1"));
    }

    [Test]
    public async Task ACudaDeviceThisBuildLacksIsRefusedByEveryCommandBeforeAnyWork()
    {
        if (Torch.ComputeDevice.HasCuda) Assert.Ignore("This build and machine have CUDA: --device cuda resolves.");
        var folder = Cli.TempFolder();
        string acts = Npy(folder, "acts.npy", 200, 6);
        string[][] commands =
        [
            ["sae", "train", "--activations", acts, "--d-sae", "12", "--k", "2", "--out", Path.Combine(folder, "sae")],
            ["toy", "train", "--features", "8", "--neurons", "2", "--out", Path.Combine(folder, "toy")],
            ["align", "--source", acts, "--target", acts],
            ["pipeline", "run", "--preset", "paper-toy", "--scale", "0.01", "--out", Path.Combine(folder, "pipeline")],
            ["demo", "--out", Path.Combine(folder, "demo")],
            ["study", "snr", "--out", Path.Combine(folder, "study")],
        ];
        foreach (var command in commands)
            AssertOneLine(await Cli.Run([.. command, "--device", "cuda", "--quiet"]), "--device is cuda", "-p:TorchSharpBackend=cuda-linux", "use cpu");
        Assert.That(Directory.GetDirectories(folder), Is.Empty);
    }

    [Test]
    public async Task ADeviceOfNoKnownSpellingIsNamed()
    {
        var folder = Cli.TempFolder();
        AssertOneLine(await Cli.Run("toy", "train", "--features", "8", "--neurons", "2", "--device", "gpu", "--quiet", "--out", Path.Combine(folder, "toy")), "--device must be cpu, cuda, cuda:N or auto", "'gpu'");
        Assert.That(Directory.Exists(Path.Combine(folder, "toy")), Is.False);
    }

    [Test]
    public async Task AnActivationFileWithoutColumnsIsNamed()
    {
        var folder = Cli.TempFolder();
        string empty = Npy(folder, "empty.npy", 100, 0), other = Npy(folder, "other.npy", 100, 4);
        AssertOneLine(await Cli.Run("align", "--source", empty, "--target", other, "--quiet"), empty, "no unit columns");
    }

    [Test]
    public async Task AnActivationFileWithoutRowsIsNamed()
    {
        var folder = Cli.TempFolder();
        string empty = Npy(folder, "empty.npy", 0, 4);
        AssertOneLine(await Cli.Run("sae", "train", "--activations", empty, "--quiet", "--out", Path.Combine(folder, "run")), empty, "no rows");
        Assert.That(Directory.Exists(Path.Combine(folder, "run")), Is.False);
    }

    [Test]
    public async Task ADirectoryWhereAFileIsExpectedSaysSo()
    {
        var folder = Cli.TempFolder();
        string other = Npy(folder, "other.npy", 100, 4), directory = Path.Combine(folder, "acts.npy");
        Directory.CreateDirectory(directory);
        AssertOneLine(await Cli.Run("align", "--source", directory, "--target", other, "--quiet"), directory, "is a directory");
        AssertOneLine(await Cli.Run("sae", "train", "--activations", directory, "--quiet", "--out", Path.Combine(folder, "run")), directory, "is a directory");
    }

    [Test]
    public async Task WithoutCrossValidationFittedMetricsSayTheyUseAllRows()
    {
        var folder = Cli.TempFolder();
        var result = await Cli.Run("align", "--source", Npy(folder, "a.npy", 200, 4), "--target", Npy(folder, "b.npy", 200, 3),
            "--metrics", "semi,ridge", "--cv", "none", "--quiet");
        Assert.That(result.ExitCode, Is.Zero, result.Error);
        Assert.That(result.Out, Does.Contain("all rows"));
        Assert.That(result.Out, Does.Not.Contain("│ none"));
    }

    [Test]
    public async Task AnOutputThatIsAFilePathThroughAFileIsRefused()
    {
        var folder = Cli.TempFolder();
        string acts = Npy(folder, "a.npy", 200, 4);
        string output = Path.Combine(acts, "run");
        var result = await Cli.Run("sae", "train", "--activations", acts, "--quiet", "--out", output);
        AssertOneLine(result, acts);
    }
}
