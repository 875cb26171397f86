using System.Diagnostics;

namespace SaeAlign.Data.Tests;

/// <summary>Staging folders and temporary files of killed processes are removed by the next run to the same path, and only those.</summary>
public sealed class LeftoverCleanupTests : TempFolderTest
{
    [Test]
    public void RunFolderCreateRemovesStagingOfDeadProcessesAndKeepsTheRest()
    {
        var live = PathOwner.Current();
        string dead = Leftover("run.partial-", DeadOwner(), directory: true);
        string reusedPid = Leftover("run.partial-", live with { StartedAt = live.StartedAt - 3600 }, directory: true);
        string deadReplaced = Leftover("run.old-", DeadOwner(), directory: true);
        string mine = Leftover("run.partial-", live, directory: true);
        string otherMachine = Leftover("run.partial-", live with { Host = "another-machine" }, directory: true);
        string untagged = Leftover("run.partial-", owner: null, directory: true);
        string otherOutput = Leftover("other.partial-", DeadOwner(), directory: true);
        Directory.CreateDirectory(PathOf("run"));

        using (var run = RunFolder.Create(PathOf("run"), force: false))
        {
            Assert.That(Directory.Exists(dead), Is.False, "the staging folder of a process that is gone");
            Assert.That(Directory.Exists(reusedPid), Is.False, "a live process with the owner's pid but a later start is not the owner");
            Assert.That(Directory.Exists(deadReplaced), Is.False, "a replaced folder whose removal was cut short after its replacement was in place");
            Assert.That(Directory.Exists(mine), Is.True, "this (live) process's own staging folder");
            Assert.That(Directory.Exists(otherMachine), Is.True, "a process on another machine cannot be checked");
            Assert.That(Directory.Exists(untagged), Is.True, "no owner in the name: nothing says it is gone");
            Assert.That(Directory.Exists(otherOutput), Is.True, "another output's staging is that run's business");
            Assert.That(PathOwner.TryParse(Path.GetFileName(run.StagingPath)["run.partial-".Length..]), Is.EqualTo(live), "the new staging folder names its owner");
        }
    }

    [Test]
    public void AReplacedFolderWhoseReplacementNeverLandedIsKept()
    {
        string oldRun = Leftover("run.old-", DeadOwner(), directory: true);

        using (RunFolder.Create(PathOf("run"), force: true))
            Assert.That(Directory.Exists(oldRun), Is.True, "with nothing under the final name it holds the only copy of the previous run");
    }

    [Test]
    public void AtomicWriteRemovesTemporaryFilesOfDeadProcessesForTheSameFile()
    {
        string dead = Leftover(".out.txt.tmp-", DeadOwner(), directory: false);
        string mine = Leftover(".out.txt.tmp-", PathOwner.Current(), directory: false);
        string otherFile = Leftover(".other.txt.tmp-", DeadOwner(), directory: false);

        AtomicFile.WriteAllText(PathOf("out.txt"), "hello");

        Assert.That(File.Exists(dead), Is.False);
        Assert.That(File.Exists(mine), Is.True);
        Assert.That(File.Exists(otherFile), Is.True);
    }

    [TestCase("vm-4242-1700000000-0123abcd", "vm", 4242, 1700000000L)]
    [TestCase("my-host.lan-7-12-x", "my-host.lan", 7, 12L)]
    public void TheOwnerTagParsesBackWithDashesInTheHostName(string tagged, string host, int pid, long start) =>
        Assert.That(PathOwner.TryParse(tagged), Is.EqualTo(new PathOwner(host, pid, start)));

    [TestCase("0123456789abcdef0123456789abcdef")]
    [TestCase("host-pid-12-x")]
    [TestCase("-1-2-x")]
    public void ANameWithoutAnOwnerTagHasNoOwner(string tagged) => Assert.That(PathOwner.TryParse(tagged), Is.Null);

    /// <summary>The owner of a process that has exited: its pid is free (or reused, with another start time).</summary>
    private static PathOwner DeadOwner()
    {
        using var process = Process.Start("sleep", "60")!;
        var owner = PathOwner.Current() with { Pid = process.Id, StartedAt = new DateTimeOffset(process.StartTime).ToUnixTimeSeconds() };
        process.Kill();
        process.WaitForExit();
        return owner;
    }

    private string Leftover(string prefix, PathOwner? owner, bool directory)
    {
        string path = PathOf($"{prefix}{(owner is null ? "" : owner.Tag + "-")}{Guid.NewGuid():N}");
        if (directory) Directory.CreateDirectory(Path.Combine(path, "half"));
        else File.WriteAllText(path, "half");
        return path;
    }
}
