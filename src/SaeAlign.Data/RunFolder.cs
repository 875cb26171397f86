using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using SaeAlign.Core;
using static SaeAlign.Core.InputField;

namespace SaeAlign.Data;

/// <summary>
/// A run's output folder (README, "File formats"): files are written into a staging sibling and the whole folder
/// is moved into place by <see cref="Commit"/>, so a failed run leaves nothing under the final name.
/// Disposing without committing deletes the staging folder. The staging folder's name carries its owner
/// (<c>{final}.partial-{host}-{pid}-{start}-{id}</c>, <see cref="PathOwner"/>), and <see cref="Create"/> removes those
/// left next to the same final path by processes that are gone (killed before they could dispose).
/// </summary>
public sealed class RunFolder : IDisposable
{
    public const string ManifestFileName = "manifest.json";
    public const string TimingsFileName = "timings.json";

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        // A manifest with a missing or null required field is malformed, not a half-filled record.
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
    };

    private readonly bool _force;
    private bool _committed;

    private const string StagingInfix = ".partial-";
    private const string ReplacedInfix = ".old-";

    private RunFolder(string finalPath, bool force)
    {
        FinalPath = finalPath;
        StagingPath = OwnedSibling(finalPath, StagingInfix);
        _force = force;
        Directory.CreateDirectory(StagingPath);
    }

    /// <summary>Where the folder will be after <see cref="Commit"/>.</summary>
    public string FinalPath { get; }

    /// <summary>Where files go until <see cref="Commit"/>.</summary>
    public string StagingPath { get; }

    /// <summary>
    /// Starts a run folder at <paramref name="finalPath"/>. Refuses an existing non-empty folder
    /// unless <paramref name="force"/>, in which case <see cref="Commit"/> replaces it.
    /// </summary>
    public static RunFolder Create(string finalPath, bool force)
    {
        string full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(finalPath));
        if (File.Exists(full)) throw new InvalidInputException($"{finalPath} is a file; the output must be a folder.");
        if (!force && IsNonEmptyFolder(full))
            throw new InvalidInputException($"{finalPath} already exists and is not empty; pass {Named("force")} to replace it.");
        string parent = Path.GetDirectoryName(full)!, name = Path.GetFileName(full);
        try
        {
            PathOwner.RemoveLeftovers(parent, name + StagingInfix);
            // A replaced folder is only a leftover once its replacement is in place; until then it holds the only copy of the old run.
            if (Directory.Exists(full)) PathOwner.RemoveLeftovers(parent, name + ReplacedInfix);
            return new RunFolder(full, force);
        }
        catch (UnauthorizedAccessException)
        {
            throw new InvalidInputException($"{finalPath}: cannot create the output folder: permission denied in {parent}.");
        }
        catch (IOException) when (Ancestors(parent).FirstOrDefault(File.Exists) is { } file)
        {
            throw new InvalidInputException($"{finalPath}: cannot create the output folder: {file} is a file, not a folder.");
        }
    }

    private static IEnumerable<string> Ancestors(string? path)
    {
        for (; !string.IsNullOrEmpty(path); path = Path.GetDirectoryName(path)) yield return path;
    }

    /// <summary>The staging path of <paramref name="fileName"/> (relative; subfolders are created).</summary>
    public string PathFor(string fileName)
    {
        EnsureNotCommitted();
        string path = Path.GetFullPath(Path.Combine(StagingPath, fileName));
        if (!path.StartsWith(StagingPath + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw new ArgumentException($"'{fileName}' is not a path inside the run folder.", nameof(fileName));
        if (Path.GetDirectoryName(path) == StagingPath && Path.GetFileName(path) is ManifestFileName or TimingsFileName)
            throw new ArgumentException($"'{fileName}' is written by Commit.", nameof(fileName));
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        return path;
    }

    /// <summary>
    /// Hashes every staged file, writes manifest.json (manifest plus hashes) and timings.json, then moves
    /// the staging folder to <see cref="FinalPath"/>, replacing an existing folder only when forced.
    /// </summary>
    public void Commit(RunManifest manifest)
    {
        EnsureNotCommitted();
        var files = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (string file in Directory.EnumerateFiles(StagingPath, "*", SearchOption.AllDirectories))
        {
            files[Path.GetRelativePath(StagingPath, file).Replace('\\', '/')] = Sha256Hex(file);
        }
        var document = new ManifestDocument(
            manifest.Kind,
            manifest.Config,
            manifest.Seeds,
            new SortedDictionary<string, string>(manifest.Versions.ToDictionary(), StringComparer.Ordinal),
            files);
        AtomicFile.WriteAllText(Path.Combine(StagingPath, ManifestFileName), JsonSerializer.Serialize(document, JsonOptions));
        AtomicFile.WriteAllText(
            Path.Combine(StagingPath, TimingsFileName),
            JsonSerializer.Serialize(new SortedDictionary<string, double>(manifest.Timings.ToDictionary(), StringComparer.Ordinal), JsonOptions));

        if (Directory.Exists(FinalPath))
        {
            if (!_force && IsNonEmptyFolder(FinalPath))
                throw new InvalidInputException($"{FinalPath} already exists and is not empty; pass {Named("force")} to replace it.");
            // Move the old folder aside first: until the new one is in place, the old one still exists.
            string old = OwnedSibling(FinalPath, ReplacedInfix);
            Directory.Move(FinalPath, old);
            Directory.Move(StagingPath, FinalPath);
            Directory.Delete(old, recursive: true);
        }
        else
        {
            Directory.Move(StagingPath, FinalPath);
        }
        _committed = true;
    }

    /// <summary>Deletes the staging folder unless the run was committed: a failed run leaves nothing behind.</summary>
    public void Dispose()
    {
        if (!_committed && Directory.Exists(StagingPath)) Directory.Delete(StagingPath, recursive: true);
    }

    /// <summary>Reads the manifest (and timings, when present) of a committed run folder.</summary>
    public static RunManifestFile Read(string folder)
    {
        string manifestPath = Path.Combine(folder, ManifestFileName);
        if (!File.Exists(manifestPath)) throw new InvalidInputException($"{folder}: no {ManifestFileName}; not a run folder.");
        string timingsPath = Path.Combine(folder, TimingsFileName);
        try
        {
            var document = JsonSerializer.Deserialize<ManifestDocument>(File.ReadAllText(manifestPath), JsonOptions)
                ?? throw new InvalidInputException($"{manifestPath}: empty manifest.");
            var timings = File.Exists(timingsPath)
                ? JsonSerializer.Deserialize<Dictionary<string, double>>(File.ReadAllText(timingsPath), JsonOptions) ?? []
                : [];
            return new RunManifestFile(
                new RunManifest(document.Kind, document.Config, document.Seeds, document.Versions, timings),
                document.Files);
        }
        catch (JsonException e)
        {
            throw new InvalidInputException($"{folder}: malformed {ManifestFileName} or {TimingsFileName} ({e.Message}).", e);
        }
    }

    /// <summary>True when every file the manifest lists exists and still has its recorded SHA-256.</summary>
    public static bool FilesIntact(string folder, RunManifestFile manifest) =>
        manifest.Files.All(f => File.Exists(Path.Combine(folder, f.Key)) && Sha256Hex(Path.Combine(folder, f.Key)) == f.Value);

    private static string Sha256Hex(string file)
    {
        using var stream = File.OpenRead(file);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    private static string OwnedSibling(string finalPath, string infix) => $"{finalPath}{infix}{PathOwner.Current().Tag}-{Guid.NewGuid():N}";

    private void EnsureNotCommitted()
    {
        if (_committed) throw new InvalidOperationException($"The run folder {FinalPath} is already committed.");
    }

    private static bool IsNonEmptyFolder(string path) =>
        Directory.Exists(path) && Directory.EnumerateFileSystemEntries(path).Any();

    /// <summary>manifest.json's shape; sorted dictionaries keep it byte-identical for identical runs.</summary>
    private sealed record ManifestDocument(
        string Kind,
        JsonNode? Config,
        IReadOnlyList<long> Seeds,
        SortedDictionary<string, string> Versions,
        SortedDictionary<string, string> Files);
}
