using NetParquetReader = Parquet.ParquetReader;

namespace SaeAlign.Data.Tests;

public sealed class TableParquetTests : TempFolderTest
{
    private static TableColumn[] LossCurve() =>
    [
        TableColumn.Int32("step", [0, 10, 20]),
        TableColumn.Int32("seed", [1, 1, 1]),
        TableColumn.Float32("loss", [0.9f, 0.5f, 0.25f]),
        TableColumn.Int64("tokens", [0, 1L << 40, 2L << 40]),
        TableColumn.Float64("lr", [1e-3, 1e-3, 5e-4]),
        TableColumn.String("phase", ["warmup", "main", "main"]),
    ];

    [Test]
    public void RoundTripKeepsNamesTypesValuesAndMetadata()
    {
        string path = PathOf("loss.parquet");

        TableParquet.Write(path, LossCurve(), new Dictionary<string, string> { ["kind"] = "loss-curve" });
        var read = TableParquet.Read(path);

        Assert.That(read.Select(c => c.Name), Is.EqualTo(LossCurve().Select(c => c.Name)));
        for (int i = 0; i < read.Count; i++)
        {
            Assert.That(read[i].Values.GetType(), Is.EqualTo(LossCurve()[i].Values.GetType()), read[i].Name);
            Assert.That(read[i].Values, Is.EqualTo(LossCurve()[i].Values), read[i].Name);
        }
        Assert.That(TableParquet.ReadMetadata(path)["kind"], Is.EqualTo("loss-curve"));
    }

    [Test]
    public async Task AnIndependentReaderSeesTheColumns()
    {
        string path = PathOf("loss.parquet");
        TableParquet.Write(path, LossCurve());

        await using var reader = await NetParquetReader.CreateAsync(path);
        var fields = reader.Schema.GetDataFields();
        using var group = reader.OpenRowGroupReader(0);
        var loss = new float[3];
        await group.ReadAsync<float>(fields[2], loss);

        Assert.That(fields.Select(f => f.Name), Is.EqualTo(new[] { "step", "seed", "loss", "tokens", "lr", "phase" }));
        Assert.That(loss, Is.EqualTo(new[] { 0.9f, 0.5f, 0.25f }));
    }

    [Test]
    public void ColumnsOfDifferentLengthsOrDuplicateNamesAreRejected()
    {
        Assert.Throws<ArgumentException>(() => TableParquet.Write(PathOf("a.parquet"), [TableColumn.Int32("a", [1]), TableColumn.Int32("b", [1, 2])]));
        Assert.Throws<ArgumentException>(() => TableParquet.Write(PathOf("b.parquet"), [TableColumn.Int32("a", [1]), TableColumn.Float32("a", [1])]));
        Assert.That(Directory.GetFiles(Folder), Is.Empty);
    }

    [Test]
    public void TheSameTableGivesByteIdenticalFiles()
    {
        TableParquet.Write(PathOf("a.parquet"), LossCurve());
        TableParquet.Write(PathOf("b.parquet"), LossCurve());

        Assert.That(File.ReadAllBytes(PathOf("a.parquet")), Is.EqualTo(File.ReadAllBytes(PathOf("b.parquet"))));
    }
}
