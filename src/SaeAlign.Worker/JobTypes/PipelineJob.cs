using System.Text.Json;
using System.Text.Json.Nodes;
using SaeAlign.Core;
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
/// <c>pipeline</c>: a whole disentanglement experiment. It is planned here (the spec, its hash and output folder) but
/// runs as a chain of <see cref="PipelineStageJob"/> jobs that <see cref="JobQueue.Enqueue"/> queues in its place. The
/// stages work in <c>HASH.work</c> next to the output, and the last one turns that folder into the run folder in one rename.
/// </summary>
public sealed class PipelineJob : JobType<PipelineJobSpec>
{
    public const string DefaultOut = "runs/pipeline";
    public const string Kind = "pipeline";

    public override string Name => Kind;

    public static string WorkFolderFor(string outputFolder) => Path.TrimEndingDirectorySeparator(outputFolder) + ".work";

    protected override PipelineJobSpec Normalize(PipelineJobSpec spec, DataRoot root)
    {
        int sources = (spec.Spec is null ? 0 : 1) + (spec.Preset is null ? 0 : 1) + (spec.Experiment is null ? 0 : 1);
        InvalidInputException.Require(sources == 1, "spec, preset, experiment: give exactly one (a spec file inside the data root, a preset name, or the experiment inline).");
        PipelineSpec experiment;
        string title;
        if (spec.Spec is not null)
        {
            string relative = root.ExistingFile(spec.Spec, "spec", ".json");
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

    /// <summary>The experiment a normalised spec holds inline.</summary>
    internal static PipelineSpec Experiment(PipelineJobSpec normalized) => PipelineSpec.Parse(normalized.Experiment!.ToJsonString(), "experiment");

    /// <summary>Only a job queued past <see cref="JobQueue.Enqueue"/> (e.g. by a SaeAlign that ran pipelines as one job) gets here.</summary>
    protected override Task RunAsync(PipelineJobSpec spec, JobRun run, CancellationToken cancellationToken) =>
        throw new InvalidInputException("a pipeline runs as a chain of pipeline-stage jobs: enqueue its spec again (finished stages are reused).");
}
