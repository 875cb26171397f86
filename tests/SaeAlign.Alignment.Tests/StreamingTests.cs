using ParquetSharp;
using SaeAlign.Alignment;
using SaeAlign.Core;
using SaeAlign.Data;

namespace SaeAlign.Alignment.Tests;

/// <summary>Dense Parquet pairs stream by row group and give the in-memory results.</summary>
public class StreamingTests
{
    private static string folder = "";

    [OneTimeSetUp]
    public void CreateFolder()
    {
        folder = Path.Combine(Path.GetTempPath(), "saealign-alignment-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
    }

    [OneTimeTearDown]
    public void RemoveFolder() => Directory.Delete(folder, recursive: true);

    /// <summary>Writes <paramref name="set"/> densely in row groups of <paramref name="groupRows"/> (float64 units when asked).</summary>
    private static string Write(string name, ActivationSet set, int groupRows, bool float64 = false, Func<int, long>? id = null)
    {
        var path = Path.Combine(folder, name);
        var columns = new Column[] { new Column<long>("stimulus") }
            .Concat(Enumerable.Range(0, set.Columns).Select(u => float64 ? (Column)new Column<double>($"unit{u}") : new Column<float>($"unit{u}"))).ToArray();
        using (var writer = new ParquetFileWriter(path, columns))
        {
            for (int start = 0; start < set.Rows; start += groupRows)
            {
                int rows = Math.Min(groupRows, set.Rows - start);
                using var group = writer.AppendRowGroup();
                using (var ids = group.NextColumn().LogicalWriter<long>())
                    ids.WriteBatch(Enumerable.Range(start, rows).Select(id ?? (r => (long)r)).ToArray());
                for (int u = 0; u < set.Columns; u++)
                {
                    var values = Enumerable.Range(start, rows).Select(r => set[r, u]).ToArray();
                    using var column = group.NextColumn();
                    if (float64) { using var w = column.LogicalWriter<double>(); w.WriteBatch(values.Select(v => (double)v).ToArray()); }
                    else { using var w = column.LogicalWriter<float>(); w.WriteBatch(values); }
                }
            }
            writer.Close();
        }
        return path;
    }

    private static readonly ActivationSet Source = TestData.Gaussian(230, 5, 3);
    private static readonly ActivationSet Target = TestData.Related(Source, 4, 1.0, 4);

    [Test]
    public void MisalignedRowGroupsStreamToTheInMemoryResults()
    {
        var source = Write("s.parquet", Source, 50);
        var target = Write("t.parquet", Target, 37, float64: true);
        var rows = ActivationRows.Open(source, target);
        Assert.That(rows, Is.TypeOf<ParquetPairedRows>());
        Assert.That(rows.Blocks(default).Sum(b => b.Rows), Is.EqualTo(230));
        var options = new AlignmentOptions { Metrics = AlignmentMetric.All.Where(m => m != AlignmentMetric.Triplet).ToArray(), Cv = CrossValidation.Parse("kfold:3:1"), K = 5 };
        var streamed = AlignmentRunner.Run(rows, options);
        var inMemory = AlignmentRunner.Run(new InMemoryPairedRows(Source, Target), options);
        foreach (var metric in streamed.Metrics)
            Assert.That(metric.FoldScores, Is.EqualTo(inMemory.Metrics.Single(m => m.Metric == metric.Metric).FoldScores).Within(1e-9), metric.Metric);
    }

    [Test]
    public void MismatchedIdsInALaterGroupNameTheRow()
    {
        var source = Write("a.parquet", Source, 50);
        var target = Write("b.parquet", Target, 64, id: r => r == 140 ? 9999 : r);
        var e = Assert.Throws<InvalidInputException>(() => AlignmentRunner.Run(ActivationRows.Open(source, target), new AlignmentOptions { Metrics = ["semi"] }));
        Assert.That(e!.Message, Does.Contain("row 140").And.Contain("9999"));
    }

    [Test]
    public void NonFiniteValueInALaterGroupNamesFileRowAndColumn()
    {
        var values = (float[])Target.Values.Clone();
        values[201 * 4 + 3] = float.NaN;
        var target = Write("nan.parquet", new ActivationSet(values, 230, 4), 50);
        var e = Assert.Throws<InvalidInputException>(() =>
            AlignmentRunner.Run(ActivationRows.Open(Write("c.parquet", Source, 50), target), new AlignmentOptions { Metrics = ["semi"] }));
        Assert.That(e!.Message, Does.Contain("nan.parquet").And.Contain("row 201").And.Contain("column 3"));
    }
}
