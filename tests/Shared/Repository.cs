namespace SaeAlign.Testing;

/// <summary>Files of this repository (reference data, scripts, sources), found from the test's output folder.</summary>
public static class Repository
{
    public static string File(params string[] parts)
    {
        var directory = new DirectoryInfo(TestContext.CurrentContext.TestDirectory);
        while (directory is not null && !System.IO.File.Exists(Path.Combine(directory.FullName, "SaeAlign.sln"))) directory = directory.Parent;
        return Path.Combine([directory?.FullName ?? throw new InvalidOperationException("SaeAlign.sln not found above the test folder."), .. parts]);
    }
}
