using SaeAlign.Core;

namespace SaeAlign.Worker.Tests;

public class DataRootTests
{
    [Test]
    public void RelativePathsInsideTheRootAreNormalised()
    {
        using var temp = new TempFolder();
        var root = new DataRoot(temp.Path);
        Assert.That(root.Relative("runs/./toy/", "out"), Is.EqualTo(Path.Combine("runs", "toy")));
        Assert.That(root.Relative(Path.Combine(temp.Path, "runs"), "out"), Is.EqualTo("runs"), "an absolute path inside the root is accepted");
        Assert.That(root.Relative(".", "out"), Is.EqualTo("."));
    }

    [TestCase("../elsewhere")]
    [TestCase("runs/../../elsewhere")]
    [TestCase("runs/../toy")]
    public void DotDotIsRejectedNamingTheField(string path)
    {
        using var temp = new TempFolder();
        var e = Assert.Throws<InvalidInputException>(() => new DataRoot(temp.Path).Relative(path, "out"))!;
        Assert.That(e.Message, Does.StartWith("out:").And.Contain("'..'"));
    }

    [Test]
    public void AbsolutePathsOutsideTheRootAreRejected()
    {
        using var temp = new TempFolder();
        var e = Assert.Throws<InvalidInputException>(() => new DataRoot(temp.Path).Relative("/etc/passwd", "activations"))!;
        Assert.That(e.Message, Does.StartWith("activations:").And.Contain("outside the data root"));
    }

    [Test]
    public void SymbolicLinksThatLeaveTheRootAreRejected()
    {
        using var temp = new TempFolder();
        using var outside = new TempFolder();
        string root = Path.Combine(temp.Path, "root");
        Directory.CreateDirectory(root);
        Directory.CreateSymbolicLink(Path.Combine(root, "escape"), outside.Path);
        Directory.CreateSymbolicLink(Path.Combine(root, "inside"), Path.Combine(root, "real"));
        Directory.CreateDirectory(Path.Combine(root, "real"));
        var dataRoot = new DataRoot(root);

        var e = Assert.Throws<InvalidInputException>(() => dataRoot.Relative("escape/runs", "out"))!;
        Assert.That(e.Message, Does.StartWith("out:").And.Contain("outside the data root"));
        Assert.That(dataRoot.Relative("inside/runs", "out"), Is.EqualTo(Path.Combine("real", "runs")), "a link that stays inside is followed");
    }

    [Test]
    public void ARootReachedThroughALinkStillContainsItsPaths()
    {
        using var temp = new TempFolder();
        string real = Path.Combine(temp.Path, "real");
        Directory.CreateDirectory(real);
        string link = Path.Combine(temp.Path, "link");
        Directory.CreateSymbolicLink(link, real);
        var root = new DataRoot(link);
        Assert.That(root.FullPath, Is.EqualTo(real));
        Assert.That(root.Relative(Path.Combine(link, "runs"), "out"), Is.EqualTo("runs"));
    }

    [Test]
    public void AMissingRootIsBadInput()
    {
        var e = Assert.Throws<InvalidInputException>(() => new DataRoot("/no/such/folder/saealign"))!;
        Assert.That(e.Message, Does.StartWith("--data-root"));
    }
}
