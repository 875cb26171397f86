using System.Diagnostics;
using System.Text.Json;
using SaeAlign.Core;
using SaeAlign.Data;
using SaeAlign.Torch;
using static SaeAlign.Core.InputField;

namespace SaeAlign.Sae;

/// <summary>What a finished <see cref="SaeTrainingRun"/> wrote and measured.</summary>
public sealed record SaeRunResult(string Folder, SaeConfig Config, SaeTrainingResult Training, GroundTruthRecovery? Recovery, IReadOnlyList<string> Files);

/// <summary>
/// <c>saealign sae train</c> end to end: read the activations (NaN/Inf is an error naming row and column),
/// train, and write a run folder with the dictionary as Parquet and as a SAELens folder, the metrics curve,
/// the latent densities and a summary. Checkpoints go next to the output (<c>DIR.checkpoint.safetensors</c>)
/// so they survive a killed run, and are deleted once the folder is complete.
/// </summary>
public sealed class SaeTrainingRun(SaeConfig config, SaeTrainerOptions options)
{
    public const string Kind = "sae-train";
    public const string DictionaryFile = "dictionary.parquet";
    public const string SaeLensSubfolder = "saelens";
    /// <summary>The dictionary as a sparsify folder too, for the architectures one can hold (per-row top-k).</summary>
    public const string SparsifySubfolder = "sparsify";
    public const string MetricsFile = "metrics.parquet";
    public const string DensityFile = "density.parquet";
    public const string SummaryFile = "summary.json";

    public static string CheckpointPathFor(string outputFolder) =>
        Path.TrimEndingDirectorySeparator(Path.GetFullPath(outputFolder)) + ".checkpoint.safetensors";

    /// <param name="trueFeatures">Toy-model feature directions [n, d_in] for the recovery metrics, or null.</param>
    /// <param name="trueActivations">The true features' activations on the same rows as the activations, for the detection scores, or null.</param>
    public SaeRunResult Run(string activationsPath, string outputFolder, bool force, ModelWeights? trueFeatures = null, ActivationSet? trueActivations = null,
        IProgress<SaeTrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        var data = ActivationFile.Read(activationsPath, cancellationToken);
        config.Validate(data.Columns);
        if (trueFeatures is not null)
            InvalidInputException.Require(trueFeatures.Neurons == data.Columns,
                $"{Named("trueFeatures")}: the toy model has {trueFeatures.Neurons} neurons but {activationsPath} has {data.Columns} columns.");
        if (trueActivations is not null)
            InvalidInputException.Require(trueFeatures is not null && trueActivations.Rows == data.Rows && trueActivations.Columns == trueFeatures.Features,
                $"{Named("trueActivations")}: {trueActivations.Rows} rows of {trueActivations.Columns} features, but {activationsPath} has {data.Rows} rows and the toy model {trueFeatures?.Features ?? 0} features.");
        var timings = new Dictionary<string, double> { ["read"] = clock.Elapsed.TotalSeconds };
        using var run = RunFolder.Create(outputFolder, force);

        clock.Restart();
        string checkpoint = CheckpointPathFor(outputFolder);
        var training = new SaeTrainer(config, options with { CheckpointPath = checkpoint }).Train(data, progress, cancellationToken);
        timings["train"] = clock.Elapsed.TotalSeconds;

        clock.Restart();
        var recovery = trueFeatures is null ? null : Recovery(training, trueFeatures.W, trueFeatures.Features, data, trueActivations, cancellationToken);
        string[] files = [.. WriteFiles(run, training, recovery, Path.GetFileName(activationsPath)), RunFolder.ManifestFileName];
        timings["write"] = clock.Elapsed.TotalSeconds;
        run.Commit(new RunManifest(Kind, JsonSerializer.SerializeToNode(config, SaeConfig.Json), [config.Seed], SoftwareVersions.Current, timings));
        File.Delete(checkpoint);
        return new SaeRunResult(run.FinalPath, config, training, recovery, files);
    }

    /// <summary>Ground-truth recovery on the rows the trainer held out (all rows when it trained on all), as its evaluation.</summary>
    public static GroundTruthRecovery Recovery(SaeTrainingResult training, float[] directions, int features, ActivationSet data, ActivationSet? trueActivations,
        CancellationToken cancellationToken)
    {
        int first = training.TrainRows < data.Rows ? training.TrainRows : 0;
        return GroundTruthRecovery.Measure(training.Dictionary, directions, features, data.Slice(first, data.Rows - first),
            trueActivations?.Slice(first, data.Rows - first), cancellationToken);
    }

    /// <summary>
    /// Writes a run folder's files but its manifest, which the caller commits, and returns their names. Also the
    /// pipeline's SAE stage's writer, so that its folder is this one and goes wherever a <c>sae train</c> folder does.
    /// </summary>
    /// <param name="activations">What the SAE was trained on, as the summary names it.</param>
    public static IReadOnlyList<string> WriteFiles(RunFolder run, SaeTrainingResult training, GroundTruthRecovery? recovery, string activations)
    {
        var files = new List<string>();
        void Write(string name, Action<string> write)
        {
            write(run.PathFor(name));
            files.Add(name);
        }
        Write(DictionaryFile, training.Dictionary.WriteParquet);
        SaeLensFolder.Write(Path.GetDirectoryName(run.PathFor($"{SaeLensSubfolder}/{SaeLensFolder.ConfigFile}"))!, training.Dictionary);
        files.Add($"{SaeLensSubfolder}/{SaeLensFolder.ConfigFile}");
        files.Add($"{SaeLensSubfolder}/{SaeLensFolder.WeightsFile}");
        if (training.Dictionary.Architecture.KeepsTopKPerRow)
        {
            SparsifyFolder.Write(Path.GetDirectoryName(run.PathFor($"{SparsifySubfolder}/{SparsifyFolder.ConfigFile}"))!, training.Dictionary);
            files.Add($"{SparsifySubfolder}/{SparsifyFolder.ConfigFile}");
            files.Add($"{SparsifySubfolder}/{SparsifyFolder.WeightsFile}");
        }
        var curve = training.Curve;
        Write(MetricsFile, path => TableParquet.Write(path,
        [
            TableColumn.Int32("step", curve.Select(p => p.Step).ToArray()),
            TableColumn.Float32("loss", curve.Select(p => p.Loss).ToArray()),
            TableColumn.Float32("mse", curve.Select(p => p.Mse).ToArray()),
            TableColumn.Float32("fvu", curve.Select(p => p.Fvu).ToArray()),
            TableColumn.Float32("l0", curve.Select(p => p.L0).ToArray()),
            TableColumn.Float32("dead_fraction", curve.Select(p => p.DeadFraction).ToArray()),
        ]));
        var density = training.Evaluation.Density;
        Write(DensityFile, path => TableParquet.Write(path,
        [
            TableColumn.Int32("latent", Enumerable.Range(0, density.Length).ToArray()),
            TableColumn.Float32("density", density),
        ]));
        Write(SummaryFile, path => AtomicFile.WriteAllText(path, JsonSerializer.Serialize(Summary(training, recovery, activations), SaeConfig.Json)));
        return files;
    }

    /// <summary>
    /// The step and loss columns of a run folder's metrics, found by name: the pipeline's SAE stages written before
    /// they were <c>sae train</c> folders hold a metrics file of these two columns only, and are still read.
    /// </summary>
    public static (int[] Steps, float[] Loss) ReadLossCurve(string folder)
    {
        string path = Path.Combine(folder, MetricsFile);
        var columns = TableParquet.Read(path);
        T Column<T>(string name) => columns.FirstOrDefault(c => c.Name == name)?.Values is T values
            ? values
            : throw new InvalidInputException($"{path}: no '{name}' column of the type an SAE run's metrics have.");
        return (Column<int[]>("step"), Column<float[]>("loss"));
    }

    /// <summary>The ground-truth recovery a run folder's summary holds, or null (trained without true features, or before it was recorded).</summary>
    public static GroundTruthRecovery? ReadRecovery(string folder)
    {
        string path = Path.Combine(folder, SummaryFile);
        if (!File.Exists(path)) return null;
        try
        {
            using var summary = JsonDocument.Parse(File.ReadAllText(path));
            return summary.RootElement.TryGetProperty("groundTruth", out var recovery) && recovery.ValueKind == JsonValueKind.Object
                ? recovery.Deserialize<GroundTruthRecovery>(SaeConfig.Json)
                : null;
        }
        catch (JsonException e)
        {
            throw new InvalidInputException($"{path}: malformed summary ({e.Message}).", e);
        }
    }

    /// <summary>Eight bins of latent density (SAELens' density histogram): never firing, six log10 decades from 1e-6 to 1 (the lowest also takes densities under 1e-6), and firing on every row.</summary>
    public static IReadOnlyList<(string Bin, int Latents)> DensityHistogram(float[] density)
    {
        var bins = new List<(string, int)> { ("dead", density.Count(d => d == 0)) };
        for (int e = -6; e < 0; e++)
        {
            double low = Math.Pow(10, e), high = Math.Pow(10, e + 1);
            bins.Add(($"[1e{e}, 1e{e + 1})", density.Count(d => d > 0 && (e == -6 ? d < high : d >= low && d < high))));
        }
        bins.Add(("1", density.Count(d => d >= 1)));
        return bins;
    }

    private static object Summary(SaeTrainingResult training, GroundTruthRecovery? recovery, string activations) => new
    {
        activations,
        steps = training.Steps,
        trainRows = training.TrainRows,
        evaluationRows = training.Evaluation.Rows,
        inputScale = training.InputScale,
        mse = training.Evaluation.Mse,
        fvu = training.Evaluation.Fvu,
        l0 = training.Evaluation.L0,
        deadFraction = training.Evaluation.DeadFraction,
        densityHistogram = DensityHistogram(training.Evaluation.Density).Select(b => new { bin = b.Bin, latents = b.Latents }),
        meanMaxCosine = recovery?.MeanMaxCosine,
        featuresRecovered = recovery?.Recovered,
        groundTruth = recovery,
    };
}
