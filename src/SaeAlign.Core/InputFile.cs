namespace SaeAlign.Core;

/// <summary>
/// The check every reader makes before opening a user's file, so that a missing, misnamed or unreadable
/// input is one line naming the file (exit 2) rather than a trace from the file library.
/// </summary>
public static class InputFile
{
    /// <summary>Throws <see cref="InvalidInputException"/> unless <paramref name="path"/> is a file this process can read.</summary>
    /// <param name="what">What the file is, for the message ("file", "spec file").</param>
    public static void RequireReadable(string path, string what = "file")
    {
        if (Directory.Exists(path)) throw new InvalidInputException($"{path}: is a directory; expected a {what}.");
        if (!File.Exists(path)) throw new InvalidInputException($"{path}: {what} not found.");
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 1);
        }
        catch (UnauthorizedAccessException)
        {
            throw new InvalidInputException($"{path}: cannot be read: permission denied.");
        }
        catch (IOException e)
        {
            throw new InvalidInputException($"{path}: cannot be read: {e.Message}");
        }
    }
}
