using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;

namespace SaeAlign.Worker;

/// <summary>
/// One kind of job (<c>train-toy</c>, ...): how its spec is checked and how it runs. Implement it by
/// deriving from <see cref="JobType{TSpec}"/> and listing the class in <see cref="JobTypes.All"/>.
/// </summary>
public interface IJobType
{
    /// <summary>The spec's <c>type</c> value.</summary>
    string Name { get; }

    /// <summary>False for a type that only SaeAlign queues (<c>pipeline-stage</c>): a spec may not name it.</summary>
    bool Public => true;

    /// <summary>
    /// Validates the spec's fields (everything but <c>type</c> and <c>sweep</c>) against the data root and
    /// returns the normalised job. Throws <see cref="SaeAlign.Core.InvalidInputException"/> naming the field.
    /// </summary>
    JobPlan Plan(JsonObject fields, DataRoot root);

    /// <summary>
    /// Runs a planned job: writes its run folder at <see cref="JobRun.OutputFolder"/> atomically
    /// (<see cref="SaeAlign.Data.RunFolder"/>), so that a run folder under that name is always complete.
    /// </summary>
    Task RunAsync(JobPlan plan, JobRun run, CancellationToken cancellationToken);
}

/// <summary>
/// A validated job: its type, its normalised spec (defaults filled in, paths relative to the data root),
/// the hash of that spec without <c>out</c>, and its output folder (<c>out/HASH</c>, relative to the root).
/// A stage of a chain (<see cref="PipelineStageJob"/>) has its chain's hash and output folder, and its
/// <paramref name="Stage"/> names it within the chain (its folder inside the work folder). <see cref="Device"/> is the spec's
/// <c>device</c> field (<see cref="JobDevice"/>), kept beside the spec because it is not hashed.
/// </summary>
public sealed record JobPlan(string Type, JsonObject Spec, string ConfigHash, string Output, string? Stage = null)
{
    public string? Device { get; init; }

    /// <summary>What job lists show: the type, the stage and the output folder.</summary>
    public string Title => Stage is null ? $"{Type} {Output}" : $"{Type} {Stage} {Output}";
}

/// <summary>What a running job gets: where to write, the data root, its log (also copied into the run folder), its torch threads and device.</summary>
public sealed record JobRun(string OutputFolder, DataRoot Root, ILogger Log, int TorchThreads)
{
    /// <summary>The device the job runs on, as spelled (the worker's unless the spec names one: <see cref="JobDevice.Effective"/>).</summary>
    public string DeviceSpec { get; init; } = SaeAlign.Torch.ComputeDevice.Auto;

    /// <summary><see cref="DeviceSpec"/> on this machine's libtorch; one it lacks is bad input naming <c>device</c>.</summary>
    public TorchSharp.torch.Device Device => SaeAlign.Torch.ComputeDevice.Resolve(DeviceSpec, SaeAlign.Core.InputField.Named(JobDevice.Field));
}
