using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using SaeAlign.Alignment;
using SaeAlign.Core;
using SaeAlign.Data;
using SaeAlign.Pipelines;
using SaeAlign.Torch;

namespace SaeAlign.Worker;

/// <summary>What a <c>pipeline-stage</c> job does; its width and seed are in <see cref="PipelineStageSpec"/>.</summary>
public enum PipelineStep
{
    Toy,
    Sae,
    Alignment,
    Report,
}

/// <summary>A <c>pipeline-stage</c> spec: the normalised <c>pipeline</c> spec it belongs to, the step, and the width (<c>neurons</c>) and <c>seed</c> it is for.</summary>
public sealed record PipelineStageSpec
{
    public PipelineJobSpec? Pipeline { get; init; }
    public PipelineStep? Stage { get; init; }
    public int? Neurons { get; init; }
    public long? Seed { get; init; }
}

/// <summary>
/// <c>pipeline-stage</c>: one stage of a <c>pipeline</c> job, which <see cref="JobQueue.Enqueue"/> queues as a chain
/// of these (<see cref="Chain"/>), each a continuation of the one before, so that stages may run on different workers.
/// A spec may not name this type. Every stage has its pipeline's hash and output folder, so it shares that folder's
/// lock and completes at once when the pipeline's run folder exists; it works in <c>HASH.work</c>, where a stage whose
/// folder is already complete is reused (<see cref="PipelineStage.RunOrSkip"/>). The report stage writes the report
/// and turns the work folder into the run folder.
/// </summary>
public sealed class PipelineStageJob : IJobType
{
    private static JsonSerializerOptions Json => JobType<PipelineStageSpec>.Json;

    public const string TypeName = "pipeline-stage";

    public string Name => TypeName;

    public bool Public => false;

    /// <summary>A pipeline's stages in the order they run: per width, the toy models, each seed's SAE and the alignment; then the report.</summary>
    public static IReadOnlyList<JobPlan> Chain(JobPlan pipeline)
    {
        var spec = pipeline.Spec.Deserialize<PipelineJobSpec>(Json)!;
        var experiment = PipelineJob.Experiment(spec);
        var stages = experiment.Neurons.SelectMany(m => (PipelineStageSpec[])
        [
            new() { Stage = PipelineStep.Toy, Neurons = m },
            .. experiment.Seeds.Select(seed => new PipelineStageSpec { Stage = PipelineStep.Sae, Neurons = m, Seed = seed }),
            new() { Stage = PipelineStep.Alignment, Neurons = m },
        ]).Append(new() { Stage = PipelineStep.Report });
        return stages.Select(stage => Plan(stage with { Pipeline = spec }, pipeline)).ToArray();
    }

    public JobPlan Plan(JsonObject fields, DataRoot root)
    {
        PipelineStageSpec spec;
        try
        {
            spec = fields.Deserialize<PipelineStageSpec>(Json) ?? throw new InvalidInputException("the spec is null.");
        }
        catch (JsonException e)
        {
            throw new InvalidInputException($"pipeline-stage: {JsonInputError.Describe(e)}", e);
        }
        InvalidInputException.Require(spec.Pipeline is not null && spec.Stage is not null, "pipeline-stage: pipeline and stage are required.");
        // Planned again on this worker, against its data root, as every job is.
        var pipeline = new PipelineJob().Plan(JsonSerializer.SerializeToNode(spec.Pipeline, Json)!.AsObject(), root);
        var normalized = pipeline.Spec.Deserialize<PipelineJobSpec>(Json)!;
        var experiment = PipelineJob.Experiment(normalized);
        InvalidInputException.Require(spec.Stage == PipelineStep.Report ? spec.Neurons is null : spec.Neurons is { } m && experiment.Neurons.Contains(m),
            "pipeline-stage: neurons must be one of the experiment's widths, and absent for the report.");
        InvalidInputException.Require(spec.Stage == PipelineStep.Sae ? spec.Seed is { } seed && experiment.Seeds.Contains(seed) : spec.Seed is null,
            "pipeline-stage: seed must be one of the experiment's seeds for an SAE stage, and absent otherwise.");
        return Plan(spec with { Pipeline = normalized }, pipeline);
    }

    public Task RunAsync(JobPlan plan, JobRun run, CancellationToken cancellationToken)
    {
        var spec = plan.Spec.Deserialize<PipelineStageSpec>(Json)!;
        var pipelineSpec = spec.Pipeline!;
        var experiment = PipelineJob.Experiment(pipelineSpec);
        // Seeds one after another on the job's torch threads: the thread count is process-wide, so running
        // seeds in parallel on one thread each (as `pipeline run` does) would change it under other jobs.
        var pipeline = new DisentanglementPipeline(experiment, pipelineSpec.Title!, parallelism: 1, run.Device);
        string work = PipelineJob.WorkFolderFor(run.OutputFolder);
        // Left by a killed execution of this stage; safe to remove while this job holds the pipeline's output lock.
        JobExecutor.RemoveStaleStaging(Path.Combine(work, plan.Stage!), run.Log);
        var progress = new ProgressCallback<PipelineProgress>(p =>
        {
            if (p.Skipped) run.Log.LogInformation("{Stage}: reused", p.Stage);
            else if (p.Fraction >= 1) run.Log.LogInformation("{Stage}: done", p.Stage);
        });
        int m = spec.Neurons.GetValueOrDefault();
        switch (spec.Stage)
        {
            case PipelineStep.Toy:
                pipeline.RunToy(work, m, progress, cancellationToken);
                break;
            case PipelineStep.Sae:
                pipeline.RunSae(work, m, spec.Seed!.Value, progress, cancellationToken);
                break;
            case PipelineStep.Alignment:
                pipeline.RunAlignment(work, m, progress, cancellationToken);
                break;
            default:
                Report(pipeline, pipelineSpec, experiment, work, run);
                break;
        }
        return Task.CompletedTask;
    }

    private static void Report(DisentanglementPipeline pipeline, PipelineJobSpec spec, PipelineSpec experiment, string work, JobRun run)
    {
        var clock = Stopwatch.StartNew();
        foreach (var s in AlignmentSummary.Of(pipeline.WriteReport(work)))
            run.Log.LogInformation("m{Neurons} {Comparison} {Metric}: {Mean} ± {Sem}", s.Neurons, s.Comparison, s.Metric,
                s.Mean.ToString("0.0000", CultureInfo.InvariantCulture), s.Sem.ToString("0.0000", CultureInfo.InvariantCulture));
        using var folder = RunFolder.Create(run.OutputFolder, force: false);
        // The finished work folder becomes the staging folder in one rename; Commit then hashes it and moves it into place.
        Directory.Delete(folder.StagingPath);
        Directory.Move(work, folder.StagingPath);
        folder.Commit(new RunManifest(PipelineJob.Kind, spec.Experiment!.DeepClone(), experiment.Seeds, SoftwareVersions.Current,
            new Dictionary<string, double> { ["report"] = clock.Elapsed.TotalSeconds }));
        run.Log.LogInformation("Report: {Report}", Path.Combine(spec.Out!, Path.GetFileName(run.OutputFolder), DisentanglementPipeline.ReportFolder));
    }

    /// <summary>A stage's plan: its pipeline's hash and output folder, and the stage's folder inside the work folder as its name.</summary>
    private static JobPlan Plan(PipelineStageSpec stage, JobPlan pipeline) =>
        new(TypeName, JsonSerializer.SerializeToNode(stage, Json)!.AsObject(), pipeline.ConfigHash, pipeline.Output, stage.Stage switch
        {
            PipelineStep.Toy => DisentanglementPipeline.ToyStage(stage.Neurons!.Value),
            PipelineStep.Sae => DisentanglementPipeline.SaeStage(stage.Neurons!.Value, stage.Seed!.Value),
            PipelineStep.Alignment => DisentanglementPipeline.AlignmentStage(stage.Neurons!.Value),
            _ => DisentanglementPipeline.ReportFolder,
        });
}
