namespace SaeAlign.Tool.Tests;

public class DemoCommandTests
{
    [Test]
    public async Task DemoTrainsAToyPairAndSaysWhereTheFilesAre()
    {
        var folder = Cli.TempFolder();
        var result = await Cli.Run("demo", "--out", folder, "--threads", "1", "--quiet");
        Assert.That(result.ExitCode, Is.EqualTo(0), result.Error);
        var toy = Path.Combine(folder, "toy");
        foreach (var file in new[] { "manifest.json", "eval_features.parquet", "eval_hidden_seed0.parquet", "eval_hidden_seed1.parquet", "loss_curve.parquet" })
        {
            Assert.That(File.Exists(Path.Combine(toy, file)), file);
            Assert.That(result.Out, Does.Contain(Path.Combine(Path.GetFullPath(toy), file)));
        }

        var again = await Cli.Run("demo", "--out", folder, "--threads", "1", "--quiet");
        Assert.That(again.ExitCode, Is.EqualTo(0), "the demo replaces its own folder");
    }

    [Test]
    public async Task HelpListsTheCommands()
    {
        var result = await Cli.Run("--help");
        Assert.That(result.ExitCode, Is.EqualTo(0));
        Assert.That(result.Out, Does.Contain("demo").And.Contain("toy"));
    }
}
