using System.Globalization;
using Microsoft.Extensions.Logging;
using SaeAlign.Core;
using SaeAlign.ToyModels;

namespace SaeAlign.Worker;

/// <summary>A <c>train-toy</c> spec: <c>saealign toy train</c>'s settings in camelCase, and where to write.</summary>
public sealed record TrainToySpec : ToyTrainSettings
{
    /// <summary>Folder (relative to the data root) that receives the hash-named run folder.</summary>
    public string? Out { get; init; }
}

/// <summary>
/// <c>train-toy</c>: <see cref="ToyExperiment"/> as a job. A preset is expanded into explicit fields
/// when planning, so a preset spec and the equivalent explicit spec share one output folder.
/// </summary>
public sealed class TrainToyJob : JobType<TrainToySpec>
{
    public const string DefaultOut = "runs/train-toy";

    public override string Name => "train-toy";

    protected override TrainToySpec Normalize(TrainToySpec spec, DataRoot root) =>
        // Explicit() copies the spec itself (a record's with), so it is still a TrainToySpec.
        (TrainToySpec)spec.Explicit() with { Out = root.Relative(spec.Out ?? DefaultOut, "out") };

    protected override string OutputParent(TrainToySpec normalized) => normalized.Out!;

    protected override Task RunAsync(TrainToySpec spec, JobRun run, CancellationToken cancellationToken)
    {
        var config = spec.ToConfig();
        int every = Math.Max(1, config.Steps / 10);
        var progress = new ProgressCallback<ToyTrainingProgress>(p =>
        {
            if (p.Step % every == 0 || p.Step == p.Steps)
                run.Log.LogInformation("step {Step}/{Steps}, loss {Loss}", p.Step, p.Steps,
                    p.Losses.Average().ToString("0.000000", CultureInfo.InvariantCulture));
        });
        var result = new ToyExperiment(config, spec.ToSeeds(), run.Device).Run(run.OutputFolder, force: false, progress, cancellationToken);
        foreach (var model in result.Models)
            run.Log.LogInformation("seed {Seed}: final loss {Loss}", model.Seed, model.LossCurve[^1].ToString("0.000000", CultureInfo.InvariantCulture));
        return Task.CompletedTask;
    }
}
