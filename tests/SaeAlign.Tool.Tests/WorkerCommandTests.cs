using System.Text.Json;

namespace SaeAlign.Tool.Tests;

/// <summary>`saealign worker` and `saealign jobs` on the embedded default (no PostgreSQL needed).</summary>
public class WorkerCommandTests
{
    private const string Tiny = "\"features\":6,\"neurons\":2,\"steps\":20,\"evalRows\":50";

    [Test]
    public async Task WorkerRunsSpecsOnTheEmbeddedStoreAndDrains()
    {
        string root = Cli.TempFolder();
        Directory.CreateDirectory(root);
        string spec = Path.Combine(root, "spec.json");
        await File.WriteAllTextAsync(spec, $"{{\"type\":\"train-toy\",{Tiny},\"out\":\"runs\",\"sweep\":{{\"seeds\":[[0],[1]]}}}}");

        var result = await Cli.Run("worker", "--enqueue", spec, "--drain", "--data-root", root, "--threads", "1", "--json");

        Assert.That(result.ExitCode, Is.EqualTo(0), result.Error);
        var jobs = JsonDocument.Parse(result.Out).RootElement.GetProperty("jobs").EnumerateArray().ToArray();
        Assert.That(jobs.Select(j => j.GetProperty("state").GetString()), Is.EqualTo(new[] { "Succeeded", "Succeeded" }));
        Assert.That(Directory.GetDirectories(Path.Combine(root, "runs")), Has.Length.EqualTo(2));
        Directory.Delete(root, recursive: true);
    }

    [Test]
    public async Task WorkerRejectsABadSpecBeforeStarting()
    {
        string root = Cli.TempFolder();
        Directory.CreateDirectory(root);
        string spec = Path.Combine(root, "bad.json");
        await File.WriteAllTextAsync(spec, $"{{\"type\":\"train-toy\",{Tiny},\"out\":\"../up\"}}");

        var result = await Cli.Run("worker", "--enqueue", spec, "--drain", "--data-root", root);

        Assert.That(result.ExitCode, Is.EqualTo(2));
        Assert.That(result.Error, Does.Contain("out: '../up' contains '..'"));
        Assert.That(Directory.GetFileSystemEntries(root), Has.Length.EqualTo(1), "nothing written");
        Directory.Delete(root, recursive: true);
    }

    [Test]
    public async Task WorkerNamesABadOption()
    {
        var result = await Cli.Run("worker", "--storage", "redis");
        Assert.That(result.ExitCode, Is.EqualTo(2));
        Assert.That(result.Error, Does.Contain("--storage must be 'memory' or 'postgres'"));
    }
}
