using System.Diagnostics;
using System.Text.Json.Nodes;
using SaeAlign.Core;
using SaeAlign.Data;
using SaeAlign.Torch;

namespace SaeAlign.Pipelines;

/// <summary>
/// One resumable step of a pipeline: a run folder keyed by its kind, config and seeds. A stage whose
/// folder already holds a manifest with the same key and intact files is skipped, so re-running a killed
/// pipeline resumes after the last finished stage; a stage whose config changed is recomputed and replaced.
/// </summary>
public static class PipelineStage
{
    /// <summary>Runs <paramref name="produce"/> into a fresh run folder unless the stage is already complete. Returns true when it ran.</summary>
    public static bool RunOrSkip(string folder, string kind, JsonNode config, IReadOnlyList<long> seeds, Func<RunFolder, IReadOnlyDictionary<string, double>> produce)
    {
        if (IsComplete(folder, kind, config, seeds)) return false;
        using var run = RunFolder.Create(folder, force: true);
        var clock = Stopwatch.StartNew();
        var timings = new Dictionary<string, double>(produce(run)) { ["stage_seconds"] = clock.Elapsed.TotalSeconds };
        run.Commit(new RunManifest(kind, config.DeepClone(), seeds, SoftwareVersions.Current, timings));
        return true;
    }

    /// <summary>True when <paramref name="folder"/> holds a committed run of this kind, config and seeds whose files all match their recorded hashes.</summary>
    public static bool IsComplete(string folder, string kind, JsonNode config, IReadOnlyList<long> seeds)
    {
        if (!File.Exists(Path.Combine(folder, RunFolder.ManifestFileName))) return false;
        RunManifestFile run;
        try
        {
            run = RunFolder.Read(folder);
        }
        catch (InvalidInputException)
        {
            return false;
        }
        return run.Manifest.Kind == kind
            && JsonNode.DeepEquals(run.Manifest.Config, config)
            && run.Manifest.Seeds.SequenceEqual(seeds)
            && RunFolder.FilesIntact(folder, run);
    }
}
