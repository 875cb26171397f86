using ParquetSharp;
using SaeAlign.Core;

namespace SaeAlign.Data.Tests;

public sealed class ModelWeightsParquetTests : TempFolderTest
{
    private static ModelWeights Sample() => new(
        Features: 3,
        Neurons: 2,
        W: [1, 2, 3, 4, 5, 6],
        Bias: [0.1f, -0.2f, 0.3f],
        Importance: [1f, 0.7f, 0.49f],
        Metadata: new Dictionary<string, string> { ["seed"] = "5", ["model"] = "elhage-relu-output" });

    [Test]
    public void RoundTripKeepsWeightsAndCallerMetadata()
    {
        string path = PathOf("weights.parquet");
        var weights = Sample();

        ModelWeightsParquet.Write(path, weights);
        var read = ModelWeightsParquet.Read(path);

        Assert.That((read.Features, read.Neurons), Is.EqualTo((3, 2)));
        Assert.That(read.W, Is.EqualTo(weights.W));
        Assert.That(read.Bias, Is.EqualTo(weights.Bias));
        Assert.That(read.Importance, Is.EqualTo(weights.Importance));
        Assert.That(read.Metadata, Is.EquivalentTo(weights.Metadata));
    }

    [Test]
    public void TheFileHasOneRowPerFeatureWithItsRowOfW()
    {
        string path = PathOf("weights.parquet");
        ModelWeightsParquet.Write(path, Sample());

        using var file = new ParquetFileReader(path);
        var schema = file.FileMetaData.Schema;
        Assert.That(Enumerable.Range(0, schema.NumColumns).Select(i => schema.ColumnRoot(i).Name), Is.EqualTo(new[] { "feature", "w", "b", "importance" }));
        Assert.That(file.FileMetaData.KeyValueMetadata["saealign.features"], Is.EqualTo("3"));
        Assert.That(file.FileMetaData.KeyValueMetadata["saealign.neurons"], Is.EqualTo("2"));
        using var group = file.RowGroup(0);
        using var column = group.Column(1);
        using var w = column.LogicalReader<float[]>();
        Assert.That(w.ReadAll(3), Is.EqualTo(new[] { new[] { 1f, 2f }, [3f, 4f], [5f, 6f] }));
    }

    [Test]
    public void InconsistentWeightsAreRejectedBeforeWriting()
    {
        string path = PathOf("weights.parquet");

        Assert.Throws<ArgumentException>(() => ModelWeightsParquet.Write(path, Sample() with { W = [1, 2, 3] }));
        Assert.That(File.Exists(path), Is.False);
    }

    [Test]
    public void AFileWithoutNeuronMetadataIsNotAWeightsFile()
    {
        string path = PathOf("table.parquet");
        TableParquet.Write(path, [TableColumn.Int32("feature", [0])]);

        var error = Assert.Throws<InvalidInputException>(() => ModelWeightsParquet.Read(path));

        Assert.That(error!.Message, Does.Contain(path).And.Contain("saealign.neurons"));
    }
}
