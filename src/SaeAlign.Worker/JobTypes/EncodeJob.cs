using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using SaeAlign.Core;
using SaeAlign.Data;
using SaeAlign.Sae;
using SaeAlign.Torch;

namespace SaeAlign.Worker;

/// <summary>An <c>encode</c> spec: the fields of <c>saealign sae encode</c>'s options.</summary>
public sealed record EncodeSpec
{
    /// <summary>A <c>train-sae</c> run folder, a dictionary .parquet or a SAELens folder, inside the data root.</summary>
    public string? Sae { get; init; }
    /// <summary>Activation file (.parquet or .npy) with d_in columns, inside the data root.</summary>
    public string? Activations { get; init; }
    /// <summary>Folder (relative to the data root) that receives the hash-named run folder.</summary>
    public string? Out { get; init; }
}

/// <summary><c>encode</c>: <see cref="SaeCodesFile"/> as a job; its run folder holds <c>codes.parquet</c> (sparse idx/val rows).</summary>
public sealed class EncodeJob : JobType<EncodeSpec>
{
    public const string DefaultOut = "runs/encode";
    public const string CodesFile = "codes.parquet";
    public const string Kind = "sae-encode";

    public override string Name => "encode";

    protected override EncodeSpec Normalize(EncodeSpec spec, DataRoot root)
    {
        InvalidInputException.Require(spec.Sae is not null, "sae: missing; name a train-sae run folder, a dictionary .parquet or a SAELens folder.");
        string sae = root.Relative(spec.Sae!, "sae");
        string full = root.Resolve(sae, "sae");
        InvalidInputException.Require(Directory.Exists(full) || File.Exists(full), $"sae: nothing at '{spec.Sae}' inside the data root.");
        return new EncodeSpec
        {
            Sae = sae,
            Activations = root.ExistingFile(spec.Activations, "activations", ".parquet", ".npy"),
            Out = root.Relative(spec.Out ?? DefaultOut, "out"),
        };
    }

    protected override string OutputParent(EncodeSpec normalized) => normalized.Out!;

    protected override Task RunAsync(EncodeSpec spec, JobRun run, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var dictionary = DictionaryFile.Read(run.Root.Resolve(spec.Sae!, "sae"), InputField.Named("sae"));
        using var folder = RunFolder.Create(run.OutputFolder, force: false);
        var codes = SaeCodesFile.Write(dictionary, run.Root.Resolve(spec.Activations!, "activations"), folder.PathFor(CodesFile), InputField.Named("out"), cancellationToken, run.Device);
        double l0 = SaeCodesFile.MeanL0(codes);
        folder.Commit(new RunManifest(Kind, JsonSerializer.SerializeToNode(spec, Json), [], SoftwareVersions.Current, new Dictionary<string, double> { ["encode"] = clock.Elapsed.TotalSeconds }));
        run.Log.LogInformation("Encoded {Rows} rows into {Latents} latents, mean L0 {L0}.", codes.Rows, codes.Columns, l0.ToString("0.00", CultureInfo.InvariantCulture));
        return Task.CompletedTask;
    }
}
