using System.Text.Json;
using Parquet;

namespace SaeAlign.Tool.Tests;

public class ToyTrainCommandTests
{
    private static readonly string[] Tiny = ["toy", "train", "--features", "8", "--neurons", "3", "--steps", "60", "--batch", "128", "--eval-rows", "300", "--threads", "1", "--quiet"];

    private static string[] TinyTo(string folder, params string[] more) => [.. Tiny, "--out", folder, .. more];

    [TestCase("--features", "0")]
    [TestCase("--neurons", "0")]
    [TestCase("--probability", "0")]
    [TestCase("--probability", "1.5")]
    [TestCase("--steps", "0")]
    [TestCase("--importance", "cubic")]
    [TestCase("--architecture", "mlp")]
    [TestCase("--seeds", "a,b")]
    public async Task InvalidOptionExitsTwoNamingItAndWritesNothing(string option, string value)
    {
        var folder = Cli.TempFolder();
        var result = await Cli.Run(TinyTo(folder, option, value));
        Assert.That(result.ExitCode, Is.EqualTo(2), result.Error);
        Assert.That(result.Error, Does.Contain(option));
        Assert.That(Directory.Exists(folder), Is.False);
        Assert.That(Directory.GetDirectories(Path.GetDirectoryName(folder)!, Path.GetFileName(folder) + "*"), Is.Empty);
    }

    [Test]
    public async Task UnknownPresetExitsTwo()
    {
        var result = await Cli.Run("toy", "train", "--preset", "paper-1x1", "--out", Cli.TempFolder());
        Assert.That(result.ExitCode, Is.EqualTo(2));
        Assert.That(result.Error, Does.Contain("--preset").And.Contain("paper-64x32"));
    }

    [Test]
    public async Task WithoutPresetFeaturesAndNeuronsAreRequired()
    {
        var result = await Cli.Run("toy", "train", "--features", "8", "--out", Cli.TempFolder());
        Assert.That(result.ExitCode, Is.EqualTo(2));
        Assert.That(result.Error, Does.Contain("--neurons"));
    }

    [Test]
    public async Task MissingOutIsBadInput()
    {
        var result = await Cli.Run("toy", "train", "--preset", "paper-64x8");
        Assert.That(result.ExitCode, Is.EqualTo(2));
        Assert.That(result.Error, Does.Contain("--out"));
    }

    [Test]
    public async Task ExistingFolderIsRefusedUnlessForce()
    {
        var folder = Cli.TempFolder();
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "keep.txt"), "mine");

        var refused = await Cli.Run(TinyTo(folder));
        Assert.That(refused.ExitCode, Is.EqualTo(2));
        Assert.That(refused.Error, Does.Contain("--force"));
        Assert.That(File.ReadAllText(Path.Combine(folder, "keep.txt")), Is.EqualTo("mine"));

        var forced = await Cli.Run(TinyTo(folder, "--force"));
        Assert.That(forced.ExitCode, Is.EqualTo(0), forced.Error);
        Assert.That(File.Exists(Path.Combine(folder, "manifest.json")));
        Assert.That(File.Exists(Path.Combine(folder, "keep.txt")), Is.False);
    }

    [Test]
    public async Task JsonPrintsOneDocumentDescribingTheRun()
    {
        var folder = Cli.TempFolder();
        var result = await Cli.Run(TinyTo(folder, "--json", "--seeds", "4,5"));
        Assert.That(result.ExitCode, Is.EqualTo(0), result.Error);
        using var json = JsonDocument.Parse(result.Out);
        var models = json.RootElement.GetProperty("models");
        Assert.That(models.GetArrayLength(), Is.EqualTo(2));
        Assert.That(models[1].GetProperty("seed").GetInt64(), Is.EqualTo(5));
        foreach (var file in json.RootElement.GetProperty("files").EnumerateArray())
            Assert.That(File.Exists(Path.Combine(folder, file.GetString()!)), file.GetString());
    }

    [Test]
    public async Task ExplicitOptionsOverrideThePreset()
    {
        var folder = Cli.TempFolder();
        var result = await Cli.Run("toy", "train", "--preset", "paper-64x32", "--neurons", "4", "--steps", "20", "--eval-rows", "50",
            "--seeds", "0", "--threads", "1", "--quiet", "--json", "--out", folder);
        Assert.That(result.ExitCode, Is.EqualTo(0), result.Error);
        using var json = JsonDocument.Parse(result.Out);
        var config = json.RootElement.GetProperty("config");
        Assert.That(config.GetProperty("features").GetInt32(), Is.EqualTo(64));
        Assert.That(config.GetProperty("neurons").GetInt32(), Is.EqualTo(4));
        Assert.That(config.GetProperty("steps").GetInt32(), Is.EqualTo(20));
        Assert.That(config.GetProperty("importance").GetString(), Is.EqualTo("paper"));
    }

    [Test]
    public async Task SameSeedTwiceGivesIdenticalFilesAndSeedsDiffer()
    {
        string a = Cli.TempFolder(), b = Cli.TempFolder();
        Assert.That((await Cli.Run(TinyTo(a))).ExitCode, Is.EqualTo(0));
        Assert.That((await Cli.Run(TinyTo(b))).ExitCode, Is.EqualTo(0));
        var files = Directory.GetFiles(a).Select(Path.GetFileName).Where(f => f != "timings.json").ToArray();
        Assert.That(files, Does.Contain("manifest.json").And.Contain("weights_seed0.parquet"));
        foreach (var file in files)
            Assert.That(File.ReadAllBytes(Path.Combine(b, file!)), Is.EqualTo(File.ReadAllBytes(Path.Combine(a, file!))), file);
        Assert.That(File.ReadAllBytes(Path.Combine(a, "W_seed1.npy")), Is.Not.EqualTo(File.ReadAllBytes(Path.Combine(a, "W_seed0.npy"))));
    }

    [Test]
    public async Task Paper64x32SeedsLearnDifferentWeightsFromTheSameData()
    {
        string[] args = ["toy", "train", "--preset", "paper-64x32", "--steps", "30", "--eval-rows", "100", "--seeds", "0,1", "--threads", "1", "--quiet"];
        string a = Cli.TempFolder(), b = Cli.TempFolder();
        Assert.That((await Cli.Run([.. args, "--out", a])).ExitCode, Is.EqualTo(0));
        Assert.That((await Cli.Run([.. args, "--out", b])).ExitCode, Is.EqualTo(0));

        var w0 = SaeAlign.Data.Npy.Read(Path.Combine(a, "W_seed0.npy"));
        var w1 = SaeAlign.Data.Npy.Read(Path.Combine(a, "W_seed1.npy"));
        Assert.That((w0.Rows, w0.Columns), Is.EqualTo((64, 32)));
        Assert.That(w1.Values, Is.Not.EqualTo(w0.Values), "different initialisation seeds");
        // Both models were trained on one data stream: the loss curves differ only through the weights,
        // and the held-out stimuli (the ground truth) are one file shared by both.
        var features = SaeAlign.Data.ActivationParquet.Read(Path.Combine(a, "eval_features.parquet"));
        var hidden0 = SaeAlign.Data.ActivationParquet.Read(Path.Combine(a, "eval_hidden_seed0.parquet"));
        var hidden1 = SaeAlign.Data.ActivationParquet.Read(Path.Combine(a, "eval_hidden_seed1.parquet"));
        Assert.That(hidden1.Stimuli, Is.EqualTo(hidden0.Stimuli).And.EqualTo(features.Stimuli));
        Assert.That(hidden1.Values, Is.Not.EqualTo(hidden0.Values));

        foreach (var file in Directory.GetFiles(a).Select(Path.GetFileName).Where(f => f != "timings.json"))
            Assert.That(File.ReadAllBytes(Path.Combine(b, file!)), Is.EqualTo(File.ReadAllBytes(Path.Combine(a, file!))), $"same seeds twice: {file}");
    }

    [Test]
    public async Task ActivationsOpenInAnIndependentParquetReader()
    {
        var folder = Cli.TempFolder();
        Assert.That((await Cli.Run(TinyTo(folder))).ExitCode, Is.EqualTo(0));

        await using var reader = await ParquetReader.CreateAsync(Path.Combine(folder, "eval_hidden_seed0.parquet"));
        var names = reader.Schema.GetDataFields().Select(f => f.Name).ToArray();
        Assert.That(names, Is.EqualTo(new[] { "stimulus", "u0000", "u0001", "u0002" }));
        long rows = 0;
        for (int g = 0; g < reader.RowGroupCount; g++)
        {
            using var group = reader.OpenRowGroupReader(g);
            var hidden = new float[group.RowCount];
            await group.ReadAsync<float>(reader.Schema.GetDataFields()[1], hidden);
            Assert.That(hidden, Has.All.GreaterThanOrEqualTo(0f), "hidden-ReLU activations are non-negative");
            rows += group.RowCount;
        }
        Assert.That(rows, Is.EqualTo(300));
    }
}
