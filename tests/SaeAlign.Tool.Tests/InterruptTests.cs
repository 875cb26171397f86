using System.Text.Json;
using SaeAlign.Core;
using SaeAlign.Data;

namespace SaeAlign.Tool.Tests;

/// <summary>
/// Interrupted runs leave nothing behind: SIGINT/SIGTERM remove the staging folder (keeping an asked-for checkpoint) and
/// exit 130/143, and the next run to the same output removes what a SIGKILLed one left.
/// </summary>
public class InterruptTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    /// <summary>About 400 steps, a few seconds of training on one thread: long enough to be interrupted, short enough to finish.</summary>
    private static string[] Train(string activations, string output, params string[] more) =>
        ["sae", "train", "--activations", activations, "--d-sae", "256", "--k", "8", "--batch", "256", "--epochs", "5",
         "--threads", "1", "--quiet", "--out", output, .. more];

    [TestCase("INT", ExitCodes.Interrupted)]
    [TestCase("TERM", ExitCodes.Terminated)]
    public async Task ASignalledSaeTrainingSaysInterruptedAndLeavesNothing(string signal, int exitCode)
    {
        var folder = Cli.TempFolder();
        var acts = Activations(folder);
        var run = Path.Combine(folder, "run");
        using var tool = new ToolProcess(folder, Train(acts, run));

        await WaitUntil(tool, () => Directory.GetDirectories(folder, "run.partial-*").Length > 0);
        tool.Signal(signal);
        var result = tool.WaitForExit(Patience);

        Assert.That(result.ExitCode, Is.EqualTo(exitCode), result.Error);
        Assert.That(result.Error, Does.Contain("interrupted"));
        Assert.That(result.Error, Does.Not.Contain("   at "), "no stack trace");
        AssertNothingLeftNextTo(run);
        Assert.That(File.Exists(run + ".checkpoint.safetensors"), Is.False, "no checkpoint was asked for");
    }

    [Test]
    public async Task AnInterruptedRunKeepsItsCheckpointAndTheRerunResumesFromIt()
    {
        var folder = Cli.TempFolder();
        var acts = Activations(folder);
        var run = Path.Combine(folder, "run");
        string checkpoint = run + ".checkpoint.safetensors";
        using (var tool = new ToolProcess(folder, Train(acts, run, "--checkpoint-every", "20")))
        {
            await WaitUntil(tool, () => File.Exists(checkpoint));
            tool.Signal("INT");
            var result = tool.WaitForExit(Patience);

            Assert.That(result.ExitCode, Is.EqualTo(ExitCodes.Interrupted), result.Error);
            Assert.That(result.Error, Does.Contain("interrupted").And.Contain("--resume"));
        }
        Assert.That(File.Exists(checkpoint), Is.True, "the checkpoint asked for with --checkpoint-every stays");
        AssertNothingLeftNextTo(run);

        var resumed = await Cli.Run([.. Train(acts, run, "--checkpoint-every", "20", "--resume", "--json")]);
        Assert.That(resumed.ExitCode, Is.Zero, resumed.Error);
        Assert.That(JsonDocument.Parse(resumed.Out).RootElement.GetProperty("resumedFromStep").GetInt32(), Is.GreaterThan(0));
        Assert.That(File.Exists(checkpoint), Is.False, "a finished run removes its checkpoint");
        Assert.That(Directory.GetFileSystemEntries(folder).Select(Path.GetFileName), Is.EquivalentTo(new[] { "acts.npy", "run" }));
    }

    [Test]
    public async Task TheNextRunToTheSameOutputRemovesWhatAKilledRunLeft()
    {
        var folder = Cli.TempFolder();
        var acts = Activations(folder);
        var run = Path.Combine(folder, "run");
        using (var tool = new ToolProcess(folder, Train(acts, run)))
        {
            await WaitUntil(tool, () => Directory.GetDirectories(folder, "run.partial-*").Length > 0);
            tool.Signal("KILL");
            tool.WaitForExit(Patience);
        }
        Assert.That(Directory.GetDirectories(folder, "run.partial-*"), Is.Not.Empty, "SIGKILL gives no chance to clean up");

        var rerun = await Cli.Run(["sae", "train", "--activations", acts, "--d-sae", "16", "--k", "3", "--threads", "1", "--quiet", "--out", run]);

        Assert.That(rerun.ExitCode, Is.Zero, rerun.Error);
        Assert.That(Directory.GetFileSystemEntries(folder).Select(Path.GetFileName), Is.EquivalentTo(new[] { "acts.npy", "run" }));
    }

    [Test]
    public async Task ASignalledToyTrainingSaysInterruptedAndLeavesNothing()
    {
        var folder = Cli.TempFolder();
        Directory.CreateDirectory(folder);
        var run = Path.Combine(folder, "toy");
        using var tool = new ToolProcess(folder, "toy", "train", "--features", "64", "--neurons", "8", "--steps", "1000000", "--eval-rows", "50",
            "--seeds", "0", "--threads", "1", "--quiet", "--out", run);

        await WaitUntil(tool, () => Directory.GetDirectories(folder, "toy.partial-*").Length > 0);
        tool.Signal("INT");
        var result = tool.WaitForExit(Patience);

        Assert.That(result.ExitCode, Is.EqualTo(ExitCodes.Interrupted), result.Error);
        Assert.That(result.Error, Does.Contain("interrupted"));
        AssertNothingLeftNextTo(run);
    }

    private static void AssertNothingLeftNextTo(string output)
    {
        string parent = Path.GetDirectoryName(output)!, name = Path.GetFileName(output);
        Assert.That(Directory.Exists(output), Is.False, "nothing under the final name");
        Assert.That(Directory.GetFileSystemEntries(parent, "*.partial-*"), Is.Empty, "no staging folder");
        Assert.That(Directory.GetFileSystemEntries(parent, ".*.tmp-*"), Is.Empty, "no temporary file");
        Assert.That(Directory.GetFileSystemEntries(parent, name + ".old-*"), Is.Empty);
    }

    /// <summary>Polls for the run to reach a point (rather than sleeping a fixed time, which a slow machine would outrun).</summary>
    private static async Task WaitUntil(ToolProcess tool, Func<bool> reached)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!reached())
        {
            if (tool.HasExited) Assert.Fail($"saealign exited early: {tool.WaitForExit(Patience).Error}");
            if (DateTime.UtcNow > deadline) Assert.Fail("the run did not get there in time");
            await Task.Delay(20);
        }
    }

    private static string Activations(string folder)
    {
        const int rows = 20_000, columns = 64;
        var random = new Random(3);
        var values = new float[rows * columns];
        for (int i = 0; i < values.Length; i++) values[i] = random.NextDouble() < 0.3 ? (float)random.NextDouble() : 0f;
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, "acts.npy");
        Npy.Write(path, values, rows, columns);
        return path;
    }
}
