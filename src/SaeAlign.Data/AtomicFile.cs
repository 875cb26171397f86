using SaeAlign.Core;

namespace SaeAlign.Data;

/// <summary>
/// Writes files so that a crash never leaves a half-written file under its final name
/// (README, "File formats"): the content goes to a hidden temporary file in the same directory,
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
            // Created here so that an unwritable folder is found by .NET (permission denied) and not inside a native writer.
            File.Create(tempPath).Dispose();
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

    /// <summary>
    /// Throws <see cref="InvalidInputException"/> naming <paramref name="field"/> unless a file can be written at
    /// <paramref name="path"/>; commands call it before their work, so an unwritable output costs nothing.
    /// </summary>
    public static void RequireWritable(string path, InputField field)
    {
        InvalidInputException.Require(!Directory.Exists(path), $"{field}: {path} is a directory; name a file.");
        string fullPath = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(fullPath)!;
        string probe = Path.Combine(directory, $".{Path.GetFileName(fullPath)}.tmp-{PathOwner.Current().Tag}-{Guid.NewGuid():N}");
        try
        {
            Directory.CreateDirectory(directory);
            File.Create(probe, 1, FileOptions.DeleteOnClose).Dispose();
        }
        catch (UnauthorizedAccessException)
        {
            throw new InvalidInputException($"{field}: {path}: cannot be written: permission denied in {directory}.");
        }
        catch (IOException e)
        {
            throw new InvalidInputException($"{field}: {path}: cannot be written: {e.Message}");
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
