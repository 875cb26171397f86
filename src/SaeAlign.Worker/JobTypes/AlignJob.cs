using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using SaeAlign.Alignment;
using SaeAlign.Core;
using SaeAlign.Data;
using SaeAlign.Torch;

namespace SaeAlign.Worker;

/// <summary>An <c>align</c> spec: <c>saealign align</c>'s settings in camelCase (<c>metrics</c> as a list of names), the files and where to write.</summary>
public sealed record AlignSpec : AlignSettings
{
    /// <summary>Source activations (.parquet or .npy) inside the data root.</summary>
    public string? Source { get; init; }
    /// <summary>Target activations over the same stimuli.</summary>
    public string? Target { get; init; }
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
        InvalidInputException.Require(spec.Metrics is null || !AlignmentMetric.Parse(string.Join(",", spec.Metrics), InputField.Named("metrics")).Contains(AlignmentMetric.Triplet), "metrics: triplet needs odd-one-out judgements, which align jobs do not take; score triplets with the saealign align command and its triplets option.");
        var options = spec.ToOptions();
        return new AlignSpec
        {
            Source = root.ExistingFile(spec.Source, "source", ".parquet", ".npy"),
            Target = root.ExistingFile(spec.Target, "target", ".parquet", ".npy"),
            Metrics = options.Metrics,
            Cv = options.Cv.ToString(),
            Stimuli = options.Stimuli,
            Seed = options.Seed,
            K = options.K,
            NullPermutations = options.NullPermutations,
            Bootstrap = options.Bootstrap,
            Out = root.Relative(spec.Out ?? DefaultOut, "out"),
        };
    }

    protected override string OutputParent(AlignSpec normalized) => normalized.Out!;

    protected override Task RunAsync(AlignSpec spec, JobRun run, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var rows = ActivationRows.OpenForAlignment(run.Root.Resolve(spec.Source!, "source"), run.Root.Resolve(spec.Target!, "target"), cancellationToken);
        var options = spec.ToOptions() with { Device = run.Device };
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
