using System.Text.Json;

namespace SaeAlign.Tool.Tests;

/// <summary>`saealign jobs` without a shared store (the PostgreSQL round trip is in SaeAlign.Worker.Tests).</summary>
public class JobsCommandTests
{
    [Test]
    public async Task DryRunValidatesAndShowsTheJobsASweepExpandsInto()
    {
        string root = Cli.TempFolder();
        Directory.CreateDirectory(root);
        string spec = Path.Combine(root, "sweep.json");
        await File.WriteAllTextAsync(spec, "{\"type\":\"train-toy\",\"preset\":\"paper-64x8\",\"steps\":50,\"sweep\":{\"seeds\":[[0],[1]],\"neurons\":[4,8]}}");

        var result = await Cli.Run("jobs", "enqueue", spec, "--dry-run", "--json", "--data-root", root);

        Assert.That(result.ExitCode, Is.EqualTo(0), result.Error);
        var outputs = JsonDocument.Parse(result.Out).RootElement.GetProperty("jobs").EnumerateArray().Select(j => j.GetProperty("output").GetString()).ToArray();
        Assert.That(outputs, Has.Length.EqualTo(4).And.Unique);
        Assert.That(outputs, Is.All.StartsWith("runs/train-toy/"));
        Assert.That(Directory.GetFileSystemEntries(root), Has.Length.EqualTo(1), "a dry run writes nothing");
        Directory.Delete(root, recursive: true);
    }

    [Test]
    public async Task MalformedJsonIsBadInputNamingTheFile()
    {
        string root = Cli.TempFolder();
        Directory.CreateDirectory(root);
        string spec = Path.Combine(root, "broken.json");
        await File.WriteAllTextAsync(spec, "{\"type\": ");

        var result = await Cli.Run("jobs", "enqueue", spec, "--data-root", root);

        Assert.That(result.ExitCode, Is.EqualTo(2));
        Assert.That(result.Error, Does.StartWith($"error: {spec}: malformed JSON at line 1"));
        Directory.Delete(root, recursive: true);
    }

    [Test]
    public async Task TheEmbeddedStoreCannotBeReachedFromAnotherProcessAndSaysWhatToDo()
    {
        var result = await Cli.Run("jobs", "list");
        Assert.That(result.ExitCode, Is.EqualTo(2));
        Assert.That(result.Error, Does.Contain("--storage postgres").And.Contain("saealign worker --enqueue SPEC.json --drain"));
    }
}
