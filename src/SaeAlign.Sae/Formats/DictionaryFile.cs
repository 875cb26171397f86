using System.Text.Json.Nodes;
using SaeAlign.Core;
using SaeAlign.Data;
using SaeAlign.Torch;

namespace SaeAlign.Sae;

/// <summary>The files an SAE can be written as.</summary>
public enum SaeFormat
{
    /// <summary>A dictionary .parquet (every architecture).</summary>
    Parquet,
    /// <summary>A SAELens folder (every architecture).</summary>
    SaeLens,
    /// <summary>A sparsify folder (per-row top-k architectures only).</summary>
    Sparsify,
}

/// <summary>
/// Reads a dictionary from whatever a user points at: a `sae train` run folder, a SAELens folder, a sparsify folder, or a
/// dictionary .parquet. A folder's kind is told by its files.
/// </summary>
public static class DictionaryFile
{
    /// <param name="field">Where the path came from (a field, or an argument's name), named in the error when it does not exist.</param>
    public static SaeDictionary Read(string path, InputMessage field)
    {
        if (Directory.Exists(path))
        {
            string dictionary = Path.Combine(path, SaeTrainingRun.DictionaryFile);
            if (File.Exists(dictionary)) return SaeDictionary.ReadParquet(dictionary);
            if (File.Exists(Path.Combine(path, SaeLensFolder.WeightsFile))) return SaeLensFolder.Read(path);
            if (SparsifyFolder.Holds(path)) return SparsifyFolder.Read(path);
            throw new InvalidInputException(
                $"{field}: {path} holds no SAE: a sae train run folder has {SaeTrainingRun.DictionaryFile}, a SAELens folder {SaeLensFolder.ConfigFile} + {SaeLensFolder.WeightsFile}, a sparsify folder {SparsifyFolder.ConfigFile} + {SparsifyFolder.WeightsFile}.");
        }
        RequireExists(path, field);
        return SaeDictionary.ReadParquet(path);
    }

    /// <summary>The cheap check before a long run: the path names a file or a folder.</summary>
    public static void RequireExists(string path, InputMessage field) =>
        InvalidInputException.Require(File.Exists(path) || Directory.Exists(path), $"{field}: {path} does not exist.");

    /// <summary>
    /// Writes <paramref name="dictionary"/> as <paramref name="format"/>: a dictionary .parquet file, or a SAELens or sparsify
    /// folder built as a run folder (staged, then moved into place, with a manifest naming <paramref name="source"/>), so an
    /// interrupted write leaves nothing under <paramref name="path"/>. What the format cannot hold is refused before writing;
    /// <paramref name="output"/> names the path in errors.
    /// </summary>
    public static void Write(SaeDictionary dictionary, string path, InputField output, SaeFormat format, bool force, string source)
    {
        if (format == SaeFormat.Parquet)
        {
            InvalidInputException.Require(Path.GetExtension(path).Equals(".parquet", StringComparison.OrdinalIgnoreCase),
                $"{output}: {path} must be named .parquet for a dictionary.");
            InvalidInputException.Require(force || !File.Exists(path), $"{output}: {path} exists; pass {InputField.Named("force")} to replace it.");
            AtomicFile.RequireWritable(path, output);
            dictionary.WriteParquet(path);
            return;
        }
        if (format == SaeFormat.Sparsify) SparsifyFolder.RequireHolds(dictionary);
        using var run = RunFolder.Create(path, force);
        if (format == SaeFormat.SaeLens) SaeLensFolder.Write(run.StagingPath, dictionary);
        else SparsifyFolder.Write(run.StagingPath, dictionary);
        var config = new JsonObject { ["source"] = Path.GetFullPath(source), ["format"] = format.ToString().ToLowerInvariant(), ["architecture"] = dictionary.Architecture.Name };
        run.Commit(new RunManifest("convert", config, [], SoftwareVersions.Current, new Dictionary<string, double>()));
    }
}
