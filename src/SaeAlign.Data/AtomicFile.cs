using SaeAlign.Core;

namespace SaeAlign.Data;

/// <summary>
/// Writes files so that a crash never leaves a half-written file under its final name
/// (DESIGN.md, data contracts): the content goes to a hidden temporary file in the same directory,
/// which is then renamed over the target (a rename within one directory is atomic). The temporary name carries its
/// owner (<c>.{name}.tmp-{host}-{pid}-{start}-{id}</c>, <see cref="PathOwner"/>), and a write removes those left
/// for the same file by processes that are gone (killed mid-write).
/// </summary>
public static class AtomicFile
{
    /// <summary>
    /// Calls <paramref name="writeToTempPath"/> with a temporary path next to <paramref name="path"/>,
    /// then moves the result into place. If the action throws, the temporary file is deleted and an
    /// existing file at <paramref name="path"/> is left untouched.
    /// </summary>
    public static void Write(string path, Action<string> writeToTempPath)
    {
        string fullPath = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(fullPath)!;
        string tempPrefix = $".{Path.GetFileName(fullPath)}.tmp-";
        string tempPath = Path.Combine(directory, $"{tempPrefix}{PathOwner.Current().Tag}-{Guid.NewGuid():N}");
        try
        {
            Directory.CreateDirectory(directory);
            PathOwner.RemoveLeftovers(directory, tempPrefix);
            writeToTempPath(tempPath);
            // Flush to disk before the rename, or a power loss could leave the new name on empty data.
            using (var stream = new FileStream(tempPath, FileMode.Open, FileAccess.ReadWrite))
                stream.Flush(flushToDisk: true);
            File.Move(tempPath, fullPath, overwrite: true);
        }
        catch (UnauthorizedAccessException)
        {
            DeleteIfPresent(tempPath);
            throw new InvalidInputException($"{path}: cannot be written: permission denied.");
        }
        catch
        {
            DeleteIfPresent(tempPath);
            throw;
        }
    }

    /// <summary>File.Delete throws when the folder itself is missing (it may be the folder we could not create).</summary>
    private static void DeleteIfPresent(string path)
    {
        if (File.Exists(path)) File.Delete(path);
    }

    /// <summary>Writes <paramref name="text"/> as UTF-8 (no byte order mark).</summary>
    public static void WriteAllText(string path, string text) =>
        Write(path, temp => File.WriteAllText(temp, text));

    public static void WriteAllBytes(string path, byte[] bytes) =>
        Write(path, temp => File.WriteAllBytes(temp, bytes));
}
