namespace SaeAlign.Tool.Tests;

/// <summary>
/// A file the user cannot read and a folder the user cannot write are bad input: exit 2, one line naming the path
/// and "permission denied", nothing written. Run in a real process as an unprivileged user (root ignores the bits).
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
[Platform(Exclude = "Win")]
public class PermissionTests
{
    private static string Folder()
    {
        string folder = Cli.TempFolder();
        Directory.CreateDirectory(folder);
        File.SetUnixFileMode(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        return folder;
    }

    private static string Activations(string folder, string name)
    {
        string path = Path.Combine(folder, name);
        var values = Enumerable.Range(0, 200 * 4).Select(i => (float)Math.Sin(i)).ToArray();
        Data.Npy.Write(path, values, 200, 4);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        return path;
    }

    private static Cli.Result Run(string folder, params string[] args)
    {
        using var tool = new ToolProcess(folder, unprivileged: true, args);
        return tool.WaitForExit(TimeSpan.FromMinutes(2));
    }

    private static void AssertOneLine(Cli.Result result, string path)
    {
        Assert.That(result.ExitCode, Is.EqualTo(2), result.Error);
        var lines = result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(1), result.Error);
        Assert.That(lines[0], Does.StartWith("error: ").And.Contain(path).And.Contain("permission denied"));
        Assert.That(lines[0], Does.Not.Contain("Exception"));
    }

    [Test]
    public void AnUnreadableInputIsNamed()
    {
        string folder = Folder();
        string unreadable = Activations(folder, "secret.npy"), other = Activations(folder, "other.npy");
        File.SetUnixFileMode(unreadable, UnixFileMode.None);
        AssertOneLine(Run(folder, "align", "--source", unreadable, "--target", other, "--quiet"), unreadable);
    }

    [Test]
    public void AnUnwritableOutputFolderIsNamedAndNothingIsWritten()
    {
        string folder = Folder();
        string acts = Activations(folder, "acts.npy");
        string locked = Path.Combine(folder, "locked");
        Directory.CreateDirectory(locked);
        File.SetUnixFileMode(locked, UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute
            | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        AssertOneLine(Run(folder, "sae", "train", "--activations", acts, "--d-sae", "8", "--k", "2", "--quiet", "--out", Path.Combine(locked, "run")), locked);
        AssertOneLine(Run(folder, "align", "--source", acts, "--target", acts, "--metrics", "semi", "--quiet", "--report", Path.Combine(locked, "report.parquet")), locked);
        Assert.That(Directory.GetFileSystemEntries(locked), Is.Empty);
    }
}
