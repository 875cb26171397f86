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
}
