using SaeAlign.Core;

namespace SaeAlign.Sae;

/// <summary>Reads a dictionary from whatever a user points at: a `sae train` run folder, a SAELens folder, or a dictionary .parquet.</summary>
public static class DictionaryFile
{
    /// <param name="field">Where the path came from (a field, or an argument's name), named in the error when it does not exist.</param>
    public static SaeDictionary Read(string path, InputMessage field)
    {
        if (Directory.Exists(path))
        {
            string dictionary = Path.Combine(path, SaeTrainingRun.DictionaryFile);
            return File.Exists(dictionary) ? SaeDictionary.ReadParquet(dictionary) : SaeLensFolder.Read(path);
        }
        RequireExists(path, field);
        return SaeDictionary.ReadParquet(path);
    }

    /// <summary>The cheap check before a long run: the path names a file or a folder.</summary>
    public static void RequireExists(string path, InputMessage field) =>
        InvalidInputException.Require(File.Exists(path) || Directory.Exists(path), $"{field}: {path} does not exist.");
}
