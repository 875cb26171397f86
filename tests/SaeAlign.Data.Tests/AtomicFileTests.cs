namespace SaeAlign.Data.Tests;

public sealed class AtomicFileTests : TempFolderTest
{
    [Test]
    public void WritesThroughAHiddenTempFileInTheSameFolderAndLeavesOnlyTheTarget()
    {
        string target = PathOf("out.txt");
        string? tempSeen = null;

        AtomicFile.Write(target, temp =>
        {
            tempSeen = temp;
            File.WriteAllText(temp, "hello");
        });

        Assert.That(File.ReadAllText(target), Is.EqualTo("hello"));
        Assert.That(Path.GetDirectoryName(tempSeen), Is.EqualTo(Folder));
        Assert.That(Path.GetFileName(tempSeen), Does.StartWith(".out.txt.tmp-"));
        Assert.That(Directory.GetFiles(Folder), Is.EqualTo(new[] { target }));
    }

    [Test]
    public void AFailedWriteKeepsTheOldFileAndRemovesTheTempFile()
    {
        string target = PathOf("data.bin");
        File.WriteAllText(target, "old");

        var error = Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(target, temp =>
        {
            File.WriteAllText(temp, "half-writ");
            throw new InvalidOperationException("boom");
        }));

        Assert.That(error!.Message, Is.EqualTo("boom"));
        Assert.That(File.ReadAllText(target), Is.EqualTo("old"));
        Assert.That(Directory.GetFiles(Folder), Is.EqualTo(new[] { target }));
    }

    [Test]
    public void WriteAllBytesAndTextReplaceAnExistingFileAndCreateMissingFolders()
    {
        string target = PathOf(Path.Combine("sub", "x.bin"));

        AtomicFile.WriteAllText(target, "first");
        AtomicFile.WriteAllBytes(target, [1, 2, 3]);

        Assert.That(File.ReadAllBytes(target), Is.EqualTo(new byte[] { 1, 2, 3 }));
        Assert.That(Directory.GetFiles(Path.GetDirectoryName(target)!), Has.Length.EqualTo(1));
    }
}
