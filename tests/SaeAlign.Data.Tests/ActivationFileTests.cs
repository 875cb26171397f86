using SaeAlign.Core;

namespace SaeAlign.Data.Tests;

public sealed class ActivationFileTests : TempFolderTest
{
    [TestCase("acts.parquet")]
    [TestCase("acts.npy")]
    [TestCase("ACTS.NPY")]
    public void DispatchesOnTheExtension(string name)
    {
        var set = Samples.Activations(rows: 5, columns: 3);
        string path = PathOf(name);
        if (name.EndsWith(".parquet", StringComparison.Ordinal)) ActivationParquet.Write(path, set);
        else Npy.Write(path, set);

        var read = ActivationFile.Read(path);

        Assert.That(read.Values, Is.EqualTo(set.Values));
        Assert.That((read.Rows, read.Columns), Is.EqualTo((5, 3)));
    }

    [Test]
    public void AnUnknownExtensionNamesTheFileAndTheAcceptedOnes()
    {
        string path = PathOf("acts.csv");
        File.WriteAllText(path, "1,2\n");

        var error = Assert.Throws<InvalidInputException>(() => ActivationFile.Read(path));

        Assert.That(error!.Message, Does.Contain(path).And.Contain(".parquet").And.Contain(".npy"));
    }

    [Test]
    public void WritesANpyNamedOutputAsDenseFloat32Npy()
    {
        var set = Samples.Activations(rows: 4, columns: 3);
        string path = PathOf("codes.NPY");

        ActivationFile.Write(path, InputField.Named("out"), set, ActivationLayout.Sparse, new Dictionary<string, string> { ["k"] = "v" });

        var bytes = File.ReadAllBytes(path);
        Assert.That(bytes[..6], Is.EqualTo(new byte[] { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y' }));
        var read = Npy.Read(path);
        Assert.That((read.Rows, read.Columns), Is.EqualTo((4, 3)));
        Assert.That(read.Values, Is.EqualTo(set.Values));
    }

    [Test]
    public async Task WritesAParquetNamedOutputInTheLayoutAskedFor()
    {
        var set = Samples.Activations(rows: 4, columns: 3);
        string path = PathOf("codes.parquet");

        ActivationFile.Write(path, InputField.Named("out"), set, ActivationLayout.Sparse);

        await using (var reader = await Parquet.ParquetReader.CreateAsync(path))
            Assert.That(reader.Schema.Fields.Select(f => f.Name), Is.EqualTo(new[] { "stimulus", "idx", "val" }));
        Assert.That(ActivationFile.Read(path).Values, Is.EqualTo(set.Values));
    }

    [TestCase("codes.txt", "extension '.txt'")]
    [TestCase("codes", "no extension")]
    public void AnOutputOfAnotherTypeIsRefusedNamingTheOptionAndWritesNothing(string name, string cause)
    {
        string path = PathOf(name);

        var error = Assert.Throws<InvalidInputException>(() => ActivationFile.Write(path, InputField.Named("out"), Samples.Activations(2, 2)));

        Assert.That(error!.Message, Does.StartWith("out: ").And.Contain(path).And.Contain(cause).And.Contain(".npy").And.Contain(".parquet"));
        Assert.That(error.Message, Does.Not.Contain("\n"));
        Assert.That(Directory.GetFileSystemEntries(Folder), Is.Empty);
    }

    [Test]
    public void AnOutputThatIsADirectoryIsRefused()
    {
        string path = PathOf("codes.npy");
        Directory.CreateDirectory(path);

        var error = Assert.Throws<InvalidInputException>(() => ActivationFile.RequireOutputPath(path, InputField.Named("out")));

        Assert.That(error!.Message, Does.StartWith("out: ").And.Contain($"{path} is a directory"));
    }
}
