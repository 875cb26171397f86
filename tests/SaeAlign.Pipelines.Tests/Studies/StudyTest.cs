using SaeAlign.Pipelines.Studies;
using SaeAlign.Testing;

namespace SaeAlign.Pipelines.Tests.Studies;

/// <summary>A fresh, not yet existing run-folder path per test (studies create it), removed afterwards.</summary>
public abstract class StudyTest
{
    protected string Root { get; private set; } = "";

    [SetUp]
    public void CreateRoot() => Root = Path.Combine(Path.GetTempPath(), "saealign-tests", Guid.NewGuid().ToString("N"));

    /// <summary>Every figure a study wrote decodes as a 900 x 520 sweep plot (ReportPlots' size) and is not blank.</summary>
    protected static void AssertFigures(StudyResult result)
    {
        var figures = result.Files.Where(f => f.EndsWith(".png", StringComparison.Ordinal)).ToArray();
        Assert.That(figures, Is.Not.Empty);
        foreach (var png in figures) PngImage.AssertFigure(Path.Combine(result.Folder, png), 900, 520);
    }

    [TearDown]
    public void DeleteRoot()
    {
        if (Directory.Exists(Root)) Directory.Delete(Root, recursive: true);
    }
}
