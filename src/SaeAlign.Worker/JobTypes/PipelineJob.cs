using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using SaeAlign.Core;
using SaeAlign.Data;
using SaeAlign.Pipelines;
using SaeAlign.Sae;

namespace SaeAlign.Worker;

/// <summary>
/// A <c>pipeline</c> spec: the fields of <c>saealign pipeline run</c> (<c>spec</c>, a file inside the data
/// root, or <c>preset</c>; <c>scale</c>; <c>neurons</c>) or, instead of a file, the experiment itself
/// inline as <c>experiment</c>. Planning loads the experiment and keeps it inline with scale and widths
/// applied, so the job (and its hash) is fixed at enqueue even if the file changes later.
/// </summary>
public sealed record PipelineJobSpec
{
    public string? Spec { get; init; }
    public string? Preset { get; init; }
    /// <summary>A <see cref="PipelineSpec"/> as JSON (the content of a spec file).</summary>
    public JsonObject? Experiment { get; init; }
    public double? Scale { get; init; }
    public IReadOnlyList<int>? Neurons { get; init; }
    /// <summary>The report's title (default: the preset's or the spec file's name).</summary>
    public string? Title { get; init; }
    /// <summary>Folder (relative to the data root) that receives the hash-named run folder.</summary>
    public string? Out { get; init; }
}

/// <summary>
/// <c>pipeline</c>: a whole disentanglement experiment as one job running <see cref="DisentanglementPipeline"/>.
/// Not a chain of Hangfire continuations: the pipeline's stages are not public units, but it resumes
/// stage by stage by itself, so a retried or re-picked job continues after the last finished stage. It
/// works in <c>HASH.work</c> next to its output and, once the report is written, turns that folder into
/// the run folder in one rename.
/// </summary>
public sealed class PipelineJob : JobType<PipelineJobSpec>
{
    public const string DefaultOut = "runs/pipeline";
    public const string Kind = "pipeline";

    public override string Name => "pipeline";

    public static string WorkFolderFor(string outputFolder) => Path.TrimEndingDirectorySeparator(outputFolder) + ".work";

    protected override PipelineJobSpec Normalize(PipelineJobSpec spec, DataRoot root)
    {
        int sources = (spec.Spec is null ? 0 : 1) + (spec.Preset is null ? 0 : 1) + (spec.Experiment is null ? 0 : 1);
        InvalidInputException.Require(sources == 1, "spec, preset, experiment: give exactly one (a spec file inside the data root, a preset name, or the experiment inline).");
        PipelineSpec experiment;
        string title;
        if (spec.Spec is not null)
        {
            string relative = TrainSaeJob.ExistingFile(root, spec.Spec, "spec", ".json");
            experiment = PipelineSpec.Parse(File.ReadAllText(root.Resolve(relative, "spec")), $"spec ({relative})");
            title = Path.GetFileNameWithoutExtension(relative);
        }
        else if (spec.Preset is not null)
        {
            experiment = PipelineSpec.LoadPreset(spec.Preset);
            title = spec.Preset;
        }
        else
        {
            experiment = PipelineSpec.Parse(spec.Experiment!.ToJsonString(), "experiment");
            title = "experiment";
        }
        if (spec.Neurons is { } widths)
        {
            InvalidInputException.Require(widths.Count > 0 && widths.All(m => m >= 1), "neurons must list widths of at least 1, e.g. [16, 32].");
            experiment = experiment with { Neurons = widths };
        }
        experiment = experiment.Scaled(spec.Scale ?? 1.0);
        experiment.Validate("experiment");
        string finalTitle = spec.Title ?? title;
        InvalidInputException.Require(!string.IsNullOrWhiteSpace(finalTitle), "title must not be empty.");
        return new PipelineJobSpec
        {
            Experiment = JsonSerializer.SerializeToNode(experiment, SaeConfig.Json)!.AsObject(),
            Title = finalTitle,
            Out = root.Relative(spec.Out ?? DefaultOut, "out"),
        };
    }

    protected override string OutputParent(PipelineJobSpec normalized) => normalized.Out!;

    protected override Task RunAsync(PipelineJobSpec spec, JobRun run, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var experiment = PipelineSpec.Parse(spec.Experiment!.ToJsonString(), "experiment");
        string work = WorkFolderFor(run.OutputFolder);
        if (Directory.Exists(work)) run.Log.LogInformation("Found {Work} from an earlier attempt; finished stages are reused.", work);
        var progress = new ProgressCallback<PipelineProgress>(p =>
        {
            if (p.Skipped) run.Log.LogInformation("{Stage}: reused", p.Stage);
            else if (p.Fraction >= 1) run.Log.LogInformation("{Stage}: done", p.Stage);
        });
        // Seeds one after another on the job's torch threads: the thread count is process-wide, so running
        // seeds in parallel on one thread each (as `pipeline run` does) would change it under other jobs.
        var result = new DisentanglementPipeline(experiment, spec.Title!, parallelism: 1).Run(work, progress, cancellationToken);
        run.Log.LogInformation("Stages run: {Stages}", result.StagesRun.Count == 0 ? "none (all reused)" : string.Join(", ", result.StagesRun));
        foreach (var s in result.Summaries)
            run.Log.LogInformation("m{Neurons} {Comparison} {Metric}: {Mean} ± {Sem}", s.Neurons, s.Comparison, s.Metric,
                s.Mean.ToString("0.0000", CultureInfo.InvariantCulture), s.Sem.ToString("0.0000", CultureInfo.InvariantCulture));

        using var folder = RunFolder.Create(run.OutputFolder, force: false);
        // The finished work folder becomes the staging folder in one rename; Commit then hashes it and moves it into place.
        Directory.Delete(folder.StagingPath);
        Directory.Move(work, folder.StagingPath);
        folder.Commit(new RunManifest(Kind, spec.Experiment!.DeepClone(), experiment.Seeds, SoftwareVersions.Current,
            new Dictionary<string, double> { ["pipeline"] = clock.Elapsed.TotalSeconds }));
        run.Log.LogInformation("Report: {Report}", Path.Combine(spec.Out!, Path.GetFileName(run.OutputFolder), DisentanglementPipeline.ReportFolder));
        return Task.CompletedTask;
    }
}
