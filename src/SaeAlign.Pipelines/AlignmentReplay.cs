using System.Text.Json;
using System.Text.Json.Nodes;
using SaeAlign.Alignment;
using SaeAlign.Core;
using SaeAlign.Data;
using SaeAlign.Sae;
using SaeAlign.Torch;
using static SaeAlign.Core.InputField;

namespace SaeAlign.Pipelines;

/// <summary>Where a replay's inputs are: two activation files over the same stimuli and an SAE for each.</summary>
public sealed record ReplayInputs(string SourceActivations, string TargetActivations, string SourceSae, string TargetSae);

/// <summary>A replay's scores (source seed 0, target seed 1) and their before/after summary.</summary>
public sealed record ReplayResult(int Rows, int SourceUnits, int TargetUnits, IReadOnlyList<AlignmentScore> Scores, IReadOnlyList<AlignmentSummary> Summaries);

/// <summary>
/// Alignment before/after disentanglement for SAEs trained anywhere (here, SAELens, PyTorch): encode each
/// activation set with its own SAE and compare neurons and latents, with an untrained SAE of each shape as the control.
/// </summary>
public static class AlignmentReplay
{
    public const long ControlSeed = 0;

    /// <summary>
    /// Reads and cross-checks the four inputs; every error names the file and what does not fit. The SAEs are read
    /// and used one at a time: at 65,536 latents each holds a gigabyte of weights, and only its codes are kept. They encode
    /// on <paramref name="device"/> (default the CPU).
    /// </summary>
    public static (ModelRepresentations Source, ModelRepresentations Target) Encode(ReplayInputs inputs, CancellationToken cancellationToken = default,
        TorchSharp.torch.Device? device = null)
    {
        var source = ActivationFile.Read(inputs.SourceActivations, cancellationToken);
        var target = ActivationFile.Read(inputs.TargetActivations, cancellationToken);
        bool bothParquet = IsParquet(inputs.SourceActivations) && IsParquet(inputs.TargetActivations);
        InMemoryPairedRows.RequirePaired(source, target, inputs.SourceActivations, inputs.TargetActivations, compareStimuli: bothParquet);
        DictionaryFile.RequireExists(inputs.SourceSae, Named("sourceSae"));
        DictionaryFile.RequireExists(inputs.TargetSae, Named("targetSae"));
        var sourceCodes = Represent("source", 0, source, inputs.SourceActivations, inputs.SourceSae, Named("sourceSae"), device, cancellationToken);
        var targetCodes = Represent("target", 1, target, inputs.TargetActivations, inputs.TargetSae, Named("targetSae"), device, cancellationToken);
        return (sourceCodes, targetCodes);
    }

    public static ReplayResult Run(ReplayInputs inputs, AlignmentOptions options, Action<string>? scored = null, CancellationToken cancellationToken = default)
    {
        var (source, target) = Encode(inputs, cancellationToken, options.Device);
        var scores = Comparisons.Score(source.Neurons.Columns, source, target, options, scored, cancellationToken);
        return new ReplayResult(source.Neurons.Rows, source.Neurons.Columns, target.Neurons.Columns, scores, AlignmentSummary.Of(scores));
    }

    /// <summary>Writes the replay's report (scores, summaries, before/after bars) into <paramref name="run"/> and commits it.</summary>
    public static void WriteReport(RunFolder run, ReplayInputs inputs, AlignmentOptions options, ReplayResult result)
    {
        PipelineReport.Write(run, "replay", result.Scores, []);
        var config = new JsonObject
        {
            ["inputs"] = JsonSerializer.SerializeToNode(inputs, SaeConfig.Json),
            ["metrics"] = new JsonArray(options.Metrics.Select(m => (JsonNode)m).ToArray()),
            ["cv"] = options.Cv.ToString(),
            ["rows"] = result.Rows,
        };
        run.Commit(new RunManifest("replay", config, [0, 1], SoftwareVersions.Current, new Dictionary<string, double>()));
    }

    private static ModelRepresentations Represent(string name, long seed, ActivationSet neurons, string activationsPath, string saePath, InputField field,
        TorchSharp.torch.Device? device, CancellationToken ct)
    {
        var (latents, randomLatents, weights) = EncodeWith(name, neurons, activationsPath, saePath, field, device, ct);
        // The weights (and their untrained copy) are garbage now; wide ones are gigabytes the GC would keep.
        if (weights > WideWeights) ProcessMemory.Release();
        return new ModelRepresentations(name, seed, neurons, latents, randomLatents);
    }

    private static (SparseCodes Latents, SparseCodes RandomLatents, long Weights) EncodeWith(
        string name, ActivationSet neurons, string activationsPath, string saePath, InputField field, TorchSharp.torch.Device? device, CancellationToken ct)
    {
        var sae = DictionaryFile.Read(saePath, field);
        RequireWidth(saePath, sae, activationsPath, neurons);
        return (SaeMetrics.EncodeSparse(sae, neurons, ct, device), SaeMetrics.EncodeSparse(ControlSae.Like(sae, Seeds.Derive(ControlSeed, name)), neurons, ct, device),
            (long)sae.DIn * sae.DSae);
    }

    private const long WideWeights = 16L << 20;

    private static void RequireWidth(string saePath, SaeDictionary sae, string activationsPath, ActivationSet activations) =>
        InvalidInputException.Require(sae.DIn == activations.Columns,
            $"{saePath}: the SAE's d_in is {sae.DIn} but {activationsPath} has {activations.Columns} units; was the SAE trained on another model or layer?");

    private static bool IsParquet(string path) => Path.GetExtension(path).Equals(".parquet", StringComparison.OrdinalIgnoreCase);
}
