using SaeAlign.Core;

namespace SaeAlign.Worker;

/// <summary>
/// The folder every job path lives in. Specs carry paths relative to it, so machines that mount the
/// data at different places share one queue; a path that would leave it (<c>..</c>, an absolute path
/// elsewhere, a symbolic link pointing out) is bad input.
/// </summary>
public sealed class DataRoot
{
    private const int MaxLinkDepth = 40;

    public DataRoot(string path)
    {
        InvalidInputException.Require(Directory.Exists(path), $"--data-root: {path} is not a folder.");
        FullPath = RealPath(Path.GetFullPath(path), 0);
    }

    /// <summary>The root with every symbolic link resolved.</summary>
    public string FullPath { get; }

    /// <summary>
    /// Checks <paramref name="path"/> (relative to the root, or absolute inside it) and returns it
    /// relative to the root, with symbolic links resolved. <paramref name="field"/> names the spec field in errors.
    /// </summary>
    public string Relative(string path, string field)
    {
        InvalidInputException.Require(!string.IsNullOrWhiteSpace(path), $"{field}: the path is empty.");
        InvalidInputException.Require(!path.Contains('\0'), $"{field}: the path contains a NUL character.");
        InvalidInputException.Require(!path.Split('/', '\\').Contains(".."),
            $"{field}: '{path}' contains '..'; paths must stay inside the data root.");
        string full = Path.GetFullPath(Path.IsPathRooted(path) ? path : Path.Combine(FullPath, path));
        string real = RealPath(full, 0);
        InvalidInputException.Require(IsInside(real),
            $"{field}: '{path}' resolves to {real}, which is outside the data root {FullPath}.");
        return real == FullPath ? "." : Path.GetRelativePath(FullPath, real);
    }

    /// <summary>The absolute path of <paramref name="path"/> after the checks of <see cref="Relative"/>.</summary>
    public string Resolve(string path, string field) => Path.GetFullPath(Path.Combine(FullPath, Relative(path, field)));

    /// <summary>The path of an existing file with one of <paramref name="extensions"/>, relative to the data root.</summary>
    public string ExistingFile(string? path, string field, params string[] extensions)
    {
        InvalidInputException.Require(path is not null, $"{field}: missing.");
        string relative = Relative(path!, field);
        InvalidInputException.Require(extensions.Contains(Path.GetExtension(relative).ToLowerInvariant()),
            $"{field}: '{path}' must be a {string.Join(" or ", extensions)} file.");
        InvalidInputException.Require(File.Exists(Resolve(relative, field)), $"{field}: no file at '{path}' inside the data root.");
        return relative;
    }

    private bool IsInside(string real) =>
        real == FullPath || real.StartsWith(FullPath.EndsWith(Path.DirectorySeparatorChar) ? FullPath : FullPath + Path.DirectorySeparatorChar, StringComparison.Ordinal);

    /// <summary>
    /// <paramref name="fullPath"/> with every symbolic link along it resolved (like realpath(3)); a
    /// missing tail is kept as written, since outputs do not exist before the job runs.
    /// </summary>
    private static string RealPath(string fullPath, int depth)
    {
        InvalidInputException.Require(depth < MaxLinkDepth, $"{fullPath}: too many levels of symbolic links.");
        string root = Path.GetPathRoot(fullPath)!;
        string[] parts = fullPath[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries);
        string current = root;
        for (int i = 0; i < parts.Length; i++)
        {
            string next = Path.Combine(current, parts[i]);
            if (new FileInfo(next).LinkTarget is { } target)
                current = RealPath(Path.GetFullPath(target, current), depth + 1);
            else if (Directory.Exists(next) || File.Exists(next))
                current = next;
            else
                return Path.Combine([current, .. parts[i..]]);
        }
        return current;
    }
}
