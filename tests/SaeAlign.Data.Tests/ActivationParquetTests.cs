using ParquetSharp;
using SaeAlign.Core;
using NetParquetReader = Parquet.ParquetReader;
using NetParquetWriter = Parquet.ParquetWriter;
using NetSchema = Parquet.Schema;

namespace SaeAlign.Data.Tests;

public sealed class ActivationParquetTests : TempFolderTest
{
    [TestCase(ActivationLayout.Dense)]
    [TestCase(ActivationLayout.Sparse)]
    public void RoundTripKeepsValuesStimuliUnitNamesAndMetadata(ActivationLayout layout)
    {
        var set = Samples.Activations(rows: 37, columns: 5);
        string path = PathOf("acts.parquet");

        ActivationParquet.Write(path, set, layout, new Dictionary<string, string> { ["model"] = "toy", ["seed"] = "7" }, producer: "unit-test");
        var read = ActivationParquet.Read(path);
        var metadata = ActivationParquet.ReadMetadata(path);

        Assert.That(read.Rows, Is.EqualTo(37));
        Assert.That(read.Columns, Is.EqualTo(5));
        Assert.That(read.Values, Is.EqualTo(set.Values));
        Assert.That(read.Stimuli, Is.EqualTo(set.Stimuli));
        Assert.That(read.UnitNames, Is.EqualTo(set.UnitNames));
        Assert.That(metadata["saealign.schema_version"], Is.EqualTo("1"));
        Assert.That(metadata["saealign.producer"], Is.EqualTo("unit-test"));
        Assert.That(metadata["saealign.layout"], Is.EqualTo(layout == ActivationLayout.Dense ? "dense" : "sparse"));
        Assert.That(metadata["saealign.units"], Is.EqualTo("5"));
        Assert.That(metadata["saealign.unit_names"], Does.StartWith("[\"neuron 0"));
        Assert.That(metadata["model"], Is.EqualTo("toy"));
        Assert.That(metadata["seed"], Is.EqualTo("7"));
    }

    [TestCase(ActivationLayout.Dense)]
    [TestCase(ActivationLayout.Sparse)]
    public void LargeSetsAreWrittenInSeveralRowGroupsAndReadBackWhole(ActivationLayout layout)
    {
        var set = Samples.Activations(rows: 65_536 + 17, columns: 2);
        string path = PathOf("big.parquet");

        ActivationParquet.Write(path, set, layout);
        var read = ActivationParquet.Read(path);

        using (var file = new ParquetFileReader(path))
            Assert.That(file.FileMetaData.NumRowGroups, Is.EqualTo(2));
        Assert.That(read.Values, Is.EqualTo(set.Values));
        Assert.That(read.Stimuli, Is.EqualTo(set.Stimuli));
    }

    [Test]
    public void SparseLayoutStoresOnlyEachRowsNonzeroEntries()
    {
        var set = new ActivationSet([0f, 2.5f, 0f, -1f, 0f, 0f, 0f, 0f], rows: 2, columns: 4);
        string path = PathOf("sparse.parquet");

        ActivationParquet.Write(path, set, ActivationLayout.Sparse);

        using var file = new ParquetFileReader(path);
        using var group = file.RowGroup(0);
        using var idxReader = group.Column(1);
        using var idx = idxReader.LogicalReader<int[]>();
        using var valReader = group.Column(2);
        using var val = valReader.LogicalReader<float[]>();
        Assert.That(idx.ReadAll(2), Is.EqualTo(new[] { new[] { 1, 3 }, Array.Empty<int>() }));
        Assert.That(val.ReadAll(2), Is.EqualTo(new[] { new[] { 2.5f, -1f }, Array.Empty<float>() }));
    }

    [Test]
    public async Task AnIndependentReaderSeesTheDenseColumnsValuesAndMetadata()
    {
        var set = Samples.Activations(rows: 9, columns: 3);
        string path = PathOf("dense.parquet");
        ActivationParquet.Write(path, set);

        await using var reader = await NetParquetReader.CreateAsync(path);
        var fields = reader.Schema.GetDataFields();
        Assert.That(fields.Select(f => f.Name), Is.EqualTo(new[] { "stimulus", "u0000", "u0001", "u0002" }));
        Assert.That(reader.CustomMetadata["saealign.units"], Is.EqualTo("3"));

        using var group = reader.OpenRowGroupReader(0);
        var stimuli = new long[group.RowCount];
        await group.ReadAsync<long>(fields[0], stimuli);
        Assert.That(stimuli, Is.EqualTo(set.Stimuli));
        for (int unit = 0; unit < 3; unit++)
        {
            var column = new float[group.RowCount];
            await group.ReadAsync<float>(fields[unit + 1], column);
            Assert.That(column, Is.EqualTo(Enumerable.Range(0, 9).Select(r => set[r, unit]).ToArray()), $"unit {unit}");
        }
    }

    [Test]
    public async Task ReadsFilesFromOtherToolsWithFloat64ColumnsAnyNamesAndNoStimulusColumn()
    {
        string path = PathOf("pandas.parquet");
        var alpha = new NetSchema.DataField<double>("alpha");
        var beta = new NetSchema.DataField<double?>("beta");
        var gamma = new NetSchema.DataField<float>("gamma");
        await WriteWithParquetNet(path, new NetSchema.ParquetSchema(alpha, beta, gamma), async group =>
        {
            await group.WriteAsync<double>(alpha, new double[] { 1.5, 2.5, -3 });
            await group.WriteAsync<double>(beta, new double?[] { 0.25, 0, 8 });
            await group.WriteAsync<float>(gamma, new float[] { 7, 8, 9 });
        });

        var read = ActivationParquet.Read(path);

        Assert.That(read.UnitNames, Is.EqualTo(new[] { "alpha", "beta", "gamma" }));
        Assert.That(read.Stimuli, Is.EqualTo(new long[] { 0, 1, 2 }));
        Assert.That(read.Values, Is.EqualTo(new float[] { 1.5f, 0.25f, 7, 2.5f, 0, 8, -3, 8, 9 }));
    }

    [Test]
    public async Task APandasIndexColumnIsNotAUnit()
    {
        string path = PathOf("indexed.parquet");
        var index = new NetSchema.DataField<long>("__index_level_0__");
        var a = new NetSchema.DataField<double>("a");
        await WriteWithParquetNet(path, new NetSchema.ParquetSchema(a, index), async group =>
        {
            await group.WriteAsync<double>(a, new double[] { 4, 5 });
            await group.WriteAsync<long>(index, new long[] { 10, 20 });
        });

        var read = ActivationParquet.Read(path);

        Assert.That(read.UnitNames, Is.EqualTo(new[] { "a" }));
        Assert.That(read.Values, Is.EqualTo(new float[] { 4, 5 }));
    }

    [Test]
    public void ReadsASparseFileWithOptionalElementsFloat64ValuesAndNoMetadataAsPyarrowWritesIt()
    {
        string path = PathOf("pyarrow-sparse.parquet");
        Column[] columns = [new Column<long?>("stimulus"), new Column<int?[]>("idx"), new Column<double?[]>("val")];
        using (var file = new ParquetFileWriter(path, columns, Compression.Snappy))
        {
            using var group = file.AppendRowGroup();
            using (var writer = group.NextColumn().LogicalWriter<long?>()) writer.WriteBatch([7, 8]);
            using (var writer = group.NextColumn().LogicalWriter<int?[]>()) writer.WriteBatch([[3], [0, 1]]);
            using (var writer = group.NextColumn().LogicalWriter<double?[]>()) writer.WriteBatch([[0.5], [1.5, -2]]);
            file.Close();
        }

        var read = ActivationParquet.Read(path);

        Assert.That((read.Rows, read.Columns), Is.EqualTo((2, 4)), "units = largest index + 1 without metadata");
        Assert.That(read.Values, Is.EqualTo(new float[] { 0, 0, 0, 0.5f, 1.5f, -2, 0, 0 }));
        Assert.That(read.Stimuli, Is.EqualTo(new long[] { 7, 8 }));
        Assert.That(read.UnitNames, Is.EqualTo(new[] { "u0000", "u0001", "u0002", "u0003" }));
    }

    [Test]
    public void ANewerSchemaVersionIsRefused()
    {
        string path = PathOf("future.parquet");
        Column[] columns = [new Column<float>("u0000")];
        using (var file = new ParquetFileWriter(path, columns, Compression.Snappy, new Dictionary<string, string> { ["saealign.schema_version"] = "2" }))
        {
            using var group = file.AppendRowGroup();
            using (var writer = group.NextColumn().LogicalWriter<float>()) writer.WriteBatch([1f]);
            file.Close();
        }

        var error = Assert.Throws<InvalidInputException>(() => ActivationParquet.Read(path));

        Assert.That(error!.Message, Does.Contain(path).And.Contain("saealign.schema_version").And.Contain("'2'"));
    }

    [Test]
    public async Task ANullInAnOptionalUnitColumnIsAnErrorNamingRowAndColumn()
    {
        string path = PathOf("nulls.parquet");
        var beta = new NetSchema.DataField<double?>("beta");
        await WriteWithParquetNet(path, new NetSchema.ParquetSchema(beta), group => group.WriteAsync<double>(beta, new double?[] { 1, null, 3 }));

        var error = Assert.Throws<InvalidInputException>(() => ActivationParquet.Read(path));

        Assert.That(error!.Message, Does.Contain(path).And.Contain("'beta'").And.Contain("row 1").And.Contain("null"));
    }

    [Test]
    public async Task AStringColumnIsAnUnsupportedTypeNamingTheColumn()
    {
        string path = PathOf("strings.parquet");
        var x = new NetSchema.DataField<double>("x");
        var label = new NetSchema.DataField<string>("label");
        await WriteWithParquetNet(path, new NetSchema.ParquetSchema(x, label), async group =>
        {
            await group.WriteAsync<double>(x, new double[] { 1, 2 });
            await group.WriteAsync(label, new[] { "a", "b" });
        });

        var error = Assert.Throws<InvalidInputException>(() => ActivationParquet.Read(path));

        Assert.That(error!.Message, Does.Contain(path).And.Contain("'label'").And.Contain("string").And.Contain("float32 or float64"));
    }

    [Test]
    public void AFileWithOnlyAStimulusColumnHasNoUnits()
    {
        string path = PathOf("empty.parquet");
        TableParquet.Write(path, [TableColumn.Int64("stimulus", [1, 2])]);

        var error = Assert.Throws<InvalidInputException>(() => ActivationParquet.Read(path));

        Assert.That(error!.Message, Does.Contain(path).And.Contain("no unit columns"));
    }

    [TestCase(float.NaN)]
    [TestCase(float.PositiveInfinity)]
    public void NonFiniteValuesAreAnErrorNamingFileRowAndColumn(float bad)
    {
        var set = Samples.Activations(rows: 4, columns: 3);
        set.Values[2 * 3 + 1] = bad;
        string path = PathOf("bad.parquet");
        ActivationParquet.Write(path, set);

        var error = Assert.Throws<InvalidInputException>(() => ActivationParquet.Read(path));

        Assert.That(error!.Message, Does.Contain(path).And.Contain("row 2").And.Contain("column 1").And.Contain("neuron 1"));
    }

    [Test]
    public void ASparseIndexOutOfRangeNamesTheRow()
    {
        string path = PathOf("sparse-range.parquet");
        WriteSparse(path, units: 3, [[0], [1, 3]], [[1f], [2f, 4f]]);

        var error = Assert.Throws<InvalidInputException>(() => ActivationParquet.Read(path));

        Assert.That(error!.Message, Does.Contain(path).And.Contain("row 1").And.Contain("'idx'").And.Contain("3 is outside 0..2"));
    }

    [Test]
    public void SparseIndexAndValueListsOfDifferentLengthsNameTheRow()
    {
        string path = PathOf("sparse-length.parquet");
        WriteSparse(path, units: 3, [[0], [], [1, 2]], [[1f], [], [2f]]);

        var error = Assert.Throws<InvalidInputException>(() => ActivationParquet.Read(path));

        Assert.That(error!.Message, Does.Contain(path).And.Contain("row 2").And.Contain("'idx' has 2 entries but 'val' has 1"));
    }

    [Test]
    public void AMissingFileAndANonParquetFileAreInvalidInputNamingTheFile()
    {
        string missing = PathOf("missing.parquet");
        string text = PathOf("text.parquet");
        File.WriteAllText(text, "this is not parquet at all");

        var missingError = Assert.Throws<InvalidInputException>(() => ActivationParquet.Read(missing));
        var textError = Assert.Throws<InvalidInputException>(() => ActivationParquet.Read(text));

        Assert.That(missingError!.Message, Does.Contain(missing).And.Contain("not found"));
        Assert.That(textError!.Message, Does.Contain(text).And.Contain("not a Parquet file"));
    }

    [TestCase(ActivationLayout.Dense)]
    [TestCase(ActivationLayout.Sparse)]
    public void TheSameDataGivesByteIdenticalFiles(ActivationLayout layout)
    {
        var metadata = new Dictionary<string, string> { ["seed"] = "3" };
        ActivationParquet.Write(PathOf("a.parquet"), Samples.Activations(50, 6), layout, metadata);
        ActivationParquet.Write(PathOf("b.parquet"), Samples.Activations(50, 6), layout, metadata);

        Assert.That(File.ReadAllBytes(PathOf("a.parquet")), Is.EqualTo(File.ReadAllBytes(PathOf("b.parquet"))));
    }

    [Test]
    public void CallerMetadataMayNotOverrideTheFormatsOwnKeys()
    {
        var metadata = new Dictionary<string, string> { ["saealign.units"] = "99" };

        Assert.Throws<ArgumentException>(() => ActivationParquet.Write(PathOf("x.parquet"), Samples.Activations(2, 2), metadata: metadata));
        Assert.That(File.Exists(PathOf("x.parquet")), Is.False);
    }

    private static async Task WriteWithParquetNet(string path, NetSchema.ParquetSchema schema, Func<Parquet.ParquetRowGroupWriter, Task> writeColumns)
    {
        await using var stream = File.Create(path);
        await using var writer = await NetParquetWriter.CreateAsync(schema, stream);
        using var group = writer.CreateRowGroup();
        await writeColumns(group);
    }

    /// <summary>A hand-made sparse file, possibly inconsistent, as another tool might write it.</summary>
    private static void WriteSparse(string path, int units, int[][] idx, float[][] val)
    {
        var metadata = new Dictionary<string, string> { ["saealign.layout"] = "sparse", ["saealign.units"] = units.ToString() };
        Column[] columns = [new Column<int[]>("idx"), new Column<float[]>("val")];
        using var file = new ParquetFileWriter(path, columns, Compression.Uncompressed, metadata);
        using var group = file.AppendRowGroup();
        using (var writer = group.NextColumn().LogicalWriter<int[]>()) writer.WriteBatch(idx);
        using (var writer = group.NextColumn().LogicalWriter<float[]>()) writer.WriteBatch(val);
        file.Close();
    }
}
