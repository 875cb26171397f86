namespace SaeAlign.Pipelines.Tests.Studies;

/// <summary>A fresh, not yet existing run-folder path per test (studies create it), removed afterwards.</summary>
public abstract class StudyTest
{
    protected string Root { get; private set; } = "";

    [SetUp]
    public void CreateRoot() => Root = Path.Combine(Path.GetTempPath(), "saealign-tests", Guid.NewGuid().ToString("N"));

    [TearDown]
    public void DeleteRoot()
    {
        if (Directory.Exists(Root)) Directory.Delete(Root, recursive: true);
    }
}
