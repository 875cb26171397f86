using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;
using SaeAlign.Data;
using SaeAlign.Torch;

namespace SaeAlign.Pipelines.Studies;

/// <summary>Where a study is: <paramref name="Done"/> of <paramref name="Total"/> units of work in <paramref name="Stage"/>.</summary>
public sealed record StudyProgress(string Stage, int Done, int Total);

/// <summary>A figure of a study report: the PNG's file name and how to draw it at a path.</summary>
public sealed record StudyPlot(string FileName, Action<string> Draw);

/// <summary>What a study computed, before anything is written: one results table, a few headline numbers, the figures.</summary>
public sealed record StudyOutcome(IReadOnlyList<TableColumn> Table, IReadOnlyDictionary<string, double> Summary, IReadOnlyList<StudyPlot> Plots);

/// <summary>A committed study run folder: results.parquet (<see cref="Table"/>), summary.json, PNG plots and the manifest.</summary>
public sealed record StudyResult(string Study, string Folder, IReadOnlyList<TableColumn> Table, IReadOnlyDictionary<string, double> Summary, IReadOnlyList<string> Files);

/// <summary>The run-folder shape every study shares.</summary>
public static class StudyFolder
{
    public const string ResultsFile = "results.parquet";
    public const string SummaryFile = "summary.json";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
    };

    /// <summary>
    /// Opens the run folder first (an existing folder fails before any work), computes the study, then writes and commits
    /// its files; a failed or cancelled study leaves nothing under <paramref name="folder"/>.
    /// </summary>
    public static StudyResult Run<TOptions>(string study, TOptions options, IReadOnlyList<long> seeds, string folder, bool force, Func<StudyOutcome> compute)
    {
        using var run = RunFolder.Create(folder, force);
        var clock = Stopwatch.StartNew();
        var outcome = compute();
        var timings = new Dictionary<string, double> { ["compute"] = clock.Elapsed.TotalSeconds };
        clock.Restart();
        var files = new List<string> { ResultsFile, SummaryFile };
        TableParquet.Write(run.PathFor(ResultsFile), outcome.Table, new Dictionary<string, string> { ["saealign.study"] = study });
        AtomicFile.WriteAllText(run.PathFor(SummaryFile), JsonSerializer.Serialize(new SortedDictionary<string, double>(outcome.Summary.ToDictionary(), StringComparer.Ordinal), Json));
        foreach (var plot in outcome.Plots)
        {
            plot.Draw(run.PathFor(plot.FileName));
            files.Add(plot.FileName);
        }
        timings["write"] = clock.Elapsed.TotalSeconds;
        run.Commit(new RunManifest($"study-{study}", JsonSerializer.SerializeToNode(options, Json), seeds, SoftwareVersions.Current, timings));
        files.Add(RunFolder.ManifestFileName);
        return new StudyResult(study, run.FinalPath, outcome.Table, outcome.Summary, files);
    }

}
