using System.Security.Cryptography;
using System.Text.Json.Nodes;
using SaeAlign.Core;

namespace SaeAlign.Data.Tests;

public sealed class RunFolderTests : TempFolderTest
{
    private static RunManifest Manifest(double trainSeconds = 1.5) => new(
        Kind: "toy-train",
        Config: JsonNode.Parse("""{"features": 5, "neurons": 2, "sparsity": 0.9}"""),
        Seeds: [0, 1],
        Versions: new Dictionary<string, string> { ["torchsharp"] = "0.107.0", ["saealign"] = "0.1.0" },
        Timings: new Dictionary<string, double> { ["train"] = trainSeconds, ["write"] = 0.25 });

    [Test]
    public void CommitMovesTheStagedFilesIntoPlaceWithTheirSha256InTheManifest()
    {
        string final = PathOf("run");
        using (var run = RunFolder.Create(final, force: false))
        {
            File.WriteAllText(run.PathFor("notes.txt"), "hello");
            TableParquet.Write(run.PathFor(Path.Combine("seed0", "loss.parquet")), [TableColumn.Int32("step", [0, 1])]);
            Assert.That(Directory.Exists(final), Is.False, "nothing appears under the final name before Commit");
            run.Commit(Manifest());
        }

        var manifest = RunFolder.Read(final);
        var manifestJson = JsonNode.Parse(File.ReadAllText(Path.Combine(final, "manifest.json")))!.AsObject();

        Assert.That(manifest.Files.Keys, Is.EquivalentTo(new[] { "notes.txt", "seed0/loss.parquet" }));
        Assert.That(manifest.Files["notes.txt"], Is.EqualTo(Sha256(Path.Combine(final, "notes.txt"))));
        Assert.That(manifest.Files["seed0/loss.parquet"], Is.EqualTo(Sha256(Path.Combine(final, "seed0", "loss.parquet"))));
        Assert.That(manifestJson.Select(p => p.Key), Is.EqualTo(new[] { "kind", "config", "seeds", "versions", "files" }));
        Assert.That(Directory.GetDirectories(Folder), Is.EqualTo(new[] { final }), "the staging folder is gone");
    }

    [Test]
    public void ReadGivesBackTheManifestWithTimingsFromTheirOwnFile()
    {
        string final = PathOf("run");
        var written = Manifest();
        using (var run = RunFolder.Create(final, force: false)) run.Commit(written);

        var read = RunFolder.Read(final).Manifest;

        Assert.That(read.Kind, Is.EqualTo("toy-train"));
        Assert.That(JsonNode.DeepEquals(read.Config, written.Config), Is.True);
        Assert.That(read.Seeds, Is.EqualTo(new long[] { 0, 1 }));
        Assert.That(read.Versions, Is.EquivalentTo(written.Versions));
        Assert.That(read.Timings, Is.EquivalentTo(written.Timings));
        Assert.That(File.ReadAllText(Path.Combine(final, "manifest.json")), Does.Not.Contain("\"write\"").And.Not.Contain("timings"));
    }

    [Test]
    public void IdenticalRunsGiveAByteIdenticalManifestEvenWhenTimingsDiffer()
    {
        foreach (var (name, seconds) in new[] { ("a", 1.0), ("b", 2.0) })
        {
            using var run = RunFolder.Create(PathOf(name), force: false);
            ActivationParquet.Write(run.PathFor("acts.parquet"), Samples.Activations(10, 3));
            run.Commit(Manifest(seconds));
        }

        Assert.That(File.ReadAllBytes(PathOf("a/manifest.json")), Is.EqualTo(File.ReadAllBytes(PathOf("b/manifest.json"))));
        Assert.That(File.ReadAllText(PathOf("a/timings.json")), Is.Not.EqualTo(File.ReadAllText(PathOf("b/timings.json"))));
    }

    [Test]
    public void AnExistingNonEmptyFolderIsRefusedWithoutForce()
    {
        string final = PathOf("run");
        Directory.CreateDirectory(final);
        File.WriteAllText(Path.Combine(final, "old.txt"), "keep me");

        var error = Assert.Throws<InvalidInputException>(() => RunFolder.Create(final, force: false));

        Assert.That(error!.Message, Does.Contain(final).And.Contain("pass force to replace it"));
        Assert.That(File.ReadAllText(Path.Combine(final, "old.txt")), Is.EqualTo("keep me"));
        Assert.That(Directory.GetDirectories(Folder), Is.EqualTo(new[] { final }));
    }

    [Test]
    public void ForceReplacesAnExistingFolderAndAnEmptyOneNeedsNoForce()
    {
        string forced = PathOf("forced");
        string empty = PathOf("empty");
        Directory.CreateDirectory(forced);
        File.WriteAllText(Path.Combine(forced, "old.txt"), "old");
        Directory.CreateDirectory(empty);

        foreach (var (path, force) in new[] { (forced, true), (empty, false) })
        {
            using var run = RunFolder.Create(path, force);
            File.WriteAllText(run.PathFor("new.txt"), "new");
            run.Commit(Manifest());
        }

        Assert.That(Directory.GetFiles(forced).Select(Path.GetFileName), Is.EquivalentTo(new[] { "new.txt", "manifest.json", "timings.json" }));
        Assert.That(File.Exists(Path.Combine(empty, "new.txt")), Is.True);
        Assert.That(Directory.GetDirectories(Folder), Is.EquivalentTo(new[] { forced, empty }));
    }

    [Test]
    public void DisposeWithoutCommitLeavesNothing()
    {
        string final = PathOf("run");
        using (var run = RunFolder.Create(final, force: false))
            File.WriteAllText(run.PathFor("partial.parquet"), "half a run");

        Assert.That(Directory.GetFileSystemEntries(Folder), Is.Empty);
    }

    [TestCase("../escape.txt")]
    [TestCase("manifest.json")]
    [TestCase("./timings.json")]
    public void PathForRejectsPathsOutsideTheFolderAndTheManifestFiles(string fileName)
    {
        using var run = RunFolder.Create(PathOf("run"), force: false);

        Assert.Throws<ArgumentException>(() => run.PathFor(fileName));
    }

    [Test]
    public void ReadingAFolderWithoutAManifestIsInvalidInput()
    {
        var error = Assert.Throws<InvalidInputException>(() => RunFolder.Read(Folder));

        Assert.That(error!.Message, Does.Contain(Folder).And.Contain("manifest.json"));
    }

    private static string Sha256(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));
}
