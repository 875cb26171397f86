using SaeAlign.Core;

namespace SaeAlign.Data.Tests;

public sealed class TripletFileTests : TempFolderTest
{
    private string Csv(string text)
    {
        var path = PathOf("triplets.csv");
        File.WriteAllText(path, text);
        return path;
    }

    [Test]
    public void CsvWithSubjectsInAnyColumnOrderReads()
    {
        var path = Csv("subject,odd,i,j,k\nann,2,0,1,2\n\n\"bob\", 0 ,0,1,3\n");
        var triplets = TripletFile.Read(path, 4);
        Assert.That(triplets, Is.EqualTo(new[] { new Triplet(0, 1, 2, 2, "ann"), new Triplet(0, 1, 3, 0, "bob") }));
    }

    [Test]
    public void ParquetWithIntegerSubjectsReads()
    {
        var path = PathOf("triplets.parquet");
        TableParquet.Write(path,
        [
            TableColumn.Int64("i", [0, 3]), TableColumn.Int64("j", [1, 2]), TableColumn.Int64("k", [2, 1]),
            TableColumn.Int64("odd", [2, 3]), TableColumn.Int32("subject", [7, 8]),
        ]);
        Assert.That(TripletFile.Read(path, 4), Is.EqualTo(new[] { new Triplet(0, 1, 2, 2, "7"), new Triplet(3, 2, 1, 3, "8") }));
    }

    [TestCase("i,j,odd\n0,1,2\n", "line 1: no 'k' column")]
    [TestCase("i,j,k,odd\n0,1,2,2\n0,1,9,9\n", "line 3, column 'k': 9 is outside the items 0..3")]
    [TestCase("i,j,k,odd\n0,1,2,2\n0,x,2,2\n", "line 3, column 'j': 'x' is not an integer")]
    [TestCase("i,j,k,odd\n0,1,2\n", "line 2: 3 fields, but the header has 4")]
    [TestCase("i,j,k,odd\n0,1,1,0\n", "line 2: the triplet (0, 1, 1) repeats an item")]
    [TestCase("i,j,k,odd\n0,1,2,3\n", "line 2, column 'odd': 3 is not one of i, j, k")]
    [TestCase("i,j,k,odd\n", "no triplets")]
    public void BadCsvNamesFileLineAndColumn(string text, string expected)
    {
        var path = Csv(text);
        var e = Assert.Throws<InvalidInputException>(() => TripletFile.Read(path, 4));
        Assert.That(e!.Message, Does.StartWith(path).And.Contain(expected));
    }

    [Test]
    public void BadParquetNamesFileRowAndColumn()
    {
        var path = PathOf("triplets.parquet");
        TableParquet.Write(path, [TableColumn.Int32("i", [0, 0]), TableColumn.Int32("j", [1, 1]), TableColumn.Int32("k", [2, -1]), TableColumn.Int32("odd", [0, 0])]);
        var e = Assert.Throws<InvalidInputException>(() => TripletFile.Read(path, 4));
        Assert.That(e!.Message, Does.StartWith(path).And.Contain("row 1, column 'k': -1 is outside"));

        TableParquet.Write(path, [TableColumn.Int32("i", [0]), TableColumn.Int32("j", [1]), TableColumn.Int32("k", [2])]);
        e = Assert.Throws<InvalidInputException>(() => TripletFile.Read(path, 4));
        Assert.That(e!.Message, Does.Contain("no 'odd' column"));
    }

    [Test]
    public void OtherExtensionsAreBadInput()
    {
        var e = Assert.Throws<InvalidInputException>(() => TripletFile.Read(PathOf("t.txt"), 4));
        Assert.That(e!.Message, Does.Contain(".parquet or .csv"));
    }
}
