using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using SaeAlign.Alignment;
using SaeAlign.Core;
using SaeAlign.Data;
using SaeAlign.Torch;

namespace SaeAlign.Worker;

/// <summary>An <c>align</c> spec: the fields of <c>saealign align</c>'s options (<c>metrics</c> as a list of names).</summary>
public sealed record AlignSpec
{
    /// <summary>Source activations (.parquet or .npy) inside the data root.</summary>
    public string? Source { get; init; }
    /// <summary>Target activations over the same stimuli.</summary>
    public string? Target { get; init; }
    public IReadOnlyList<string>? Metrics { get; init; }
    /// <summary><c>none</c> or <c>kfold:K:SEED</c>.</summary>
    public string? Cv { get; init; }
    public int? Stimuli { get; init; }
    public long? Seed { get; init; }
    public int? K { get; init; }
    /// <summary>Folder (relative to the data root) that receives the hash-named run folder.</summary>
    public string? Out { get; init; }
}

/// <summary>
/// <c>align</c>: <see cref="AlignmentRunner"/> as a job; its run folder holds <c>report.parquet</c>, the table
/// <c>saealign align --report</c> writes. The triplet metric is not offered: it needs a judgements file.
/// </summary>
public sealed class AlignJob : JobType<AlignSpec>
{
    public const string DefaultOut = "runs/align";
    public const string ReportFile = "report.parquet";
    public const string Kind = "align";

    public override string Name => "align";

    protected override AlignSpec Normalize(AlignSpec spec, DataRoot root)
    {
        var metrics = spec.Metrics is null ? AlignmentMetric.Defaults : AlignmentMetric.Parse(string.Join(",", spec.Metrics), "metrics");
        InvalidInputException.Require(!metrics.Contains(AlignmentMetric.Triplet), "metrics: triplet needs odd-one-out judgements, which align jobs do not take; score triplets with the saealign align command and its triplets option.");
        var defaults = new AlignmentOptions();
        int stimuli = spec.Stimuli ?? defaults.Stimuli;
        InvalidInputException.Require(stimuli >= 3, $"stimuli must be at least 3, got {stimuli}.");
        int k = spec.K ?? defaults.K;
        InvalidInputException.Require(k >= 1, $"k must be at least 1, got {k}.");
        long seed = spec.Seed ?? defaults.Seed;
        InvalidInputException.Require(seed >= 0, $"seed must be zero or positive, got {seed}.");
        return new AlignSpec
        {
            Source = TrainSaeJob.ExistingFile(root, spec.Source, "source", ".parquet", ".npy"),
            Target = TrainSaeJob.ExistingFile(root, spec.Target, "target", ".parquet", ".npy"),
            Metrics = metrics,
            Cv = CrossValidation.Parse(spec.Cv ?? defaults.Cv.ToString(), "cv").ToString(),
            Stimuli = stimuli,
            Seed = seed,
            K = k,
            Out = root.Relative(spec.Out ?? DefaultOut, "out"),
        };
    }

    protected override string OutputParent(AlignSpec normalized) => normalized.Out!;

    protected override Task RunAsync(AlignSpec spec, JobRun run, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var rows = ActivationRows.OpenForAlignment(run.Root.Resolve(spec.Source!, "source"), run.Root.Resolve(spec.Target!, "target"), cancellationToken);
        var options = new AlignmentOptions
        {
            Metrics = spec.Metrics!,
            Cv = CrossValidation.Parse(spec.Cv!, "cv"),
            Stimuli = spec.Stimuli!.Value,
            Seed = spec.Seed!.Value,
            K = spec.K!.Value,
        };
        run.Log.LogInformation("{Rows} stimuli, {Source} source units, {Target} target units, cv {Cv}", rows.Rows, rows.SourceUnits, rows.TargetUnits, spec.Cv);
        var report = rows.Align(options, cancellationToken);
        using var folder = RunFolder.Create(run.OutputFolder, force: false);
        // Paths as in the spec (relative to the data root), so the report means the same on every machine.
        report.Write(folder.PathFor(ReportFile), spec.Source!, spec.Target!);
        folder.Commit(new RunManifest(Kind, JsonSerializer.SerializeToNode(spec, Json), [spec.Seed!.Value], SoftwareVersions.Current, new Dictionary<string, double> { ["align"] = clock.Elapsed.TotalSeconds }));
        foreach (var metric in report.Metrics)
            run.Log.LogInformation("{Metric} ({Direction}): {Score}", metric.Metric, metric.Direction, metric.Score.ToString("0.0000", CultureInfo.InvariantCulture));
        return Task.CompletedTask;
    }
}
