using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using SaeAlign.Core;
using SaeAlign.Data;
using SaeAlign.Torch;

namespace SaeAlign.ToyModels;

/// <summary>
/// A toy experiment end to end: train one model per seed on the shared data stream, measure each
/// model's feature geometry, generate held-out evaluation stimuli, and write it all as one run folder
/// (which appears under its final name only when complete). The models train on <paramref name="device"/> (default the CPU).
/// </summary>
public sealed class ToyExperiment(ToyModelConfig config, IReadOnlyList<long> seeds, TorchSharp.torch.Device? device = null)
{
    public const string Kind = "toy-train";
    private static readonly JsonSerializerOptions CompactJson = new(ToyModelConfig.Json) { WriteIndented = false };

    public ToyExperimentResult Run(
        string outputFolder,
        bool force = false,
        IProgress<ToyTrainingProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        config.Validate();
        ToyModelTrainer.ValidateSeeds(seeds);
        using var run = RunFolder.Create(outputFolder, force);
        var timings = new Dictionary<string, double>();
        var clock = Stopwatch.StartNew();

        var models = new ToyModelTrainer(config, device).Train(seeds, progress, cancellationToken);
        timings["train"] = clock.Elapsed.TotalSeconds;

        clock.Restart();
        var evaluation = ToyEvaluation.Generate(config, models, cancellationToken);
        timings["evaluate"] = clock.Elapsed.TotalSeconds;

        clock.Restart();
        var geometry = models.Select(m => FeatureGeometry.Of(m.W, m.Features, m.Neurons)).ToArray();
        var files = new List<string>();
        string Write(string name, Action<string> write)
        {
            write(run.PathFor(name));
            files.Add(name);
            return name;
        }

        var importance = FeatureImportanceWeights.For(config.Importance, config.Features);
        foreach (var model in models)
        {
            var metadata = ModelMetadata(model);
            Write($"weights_seed{model.Seed}.parquet", path => ModelWeightsParquet.Write(path,
                new ModelWeights(model.Features, model.Neurons, model.W, model.Bias, importance, metadata)));
            Write($"W_seed{model.Seed}.npy", path => Npy.Write(path, model.W, model.Features, model.Neurons));
        }
        Write("loss_curve.parquet", path => TableParquet.Write(path, LossCurveTable(models)));
        Write("geometry.parquet", path => TableParquet.Write(path, GeometryTable(models, geometry)));
        Write("eval_features.parquet", path => ActivationParquet.Write(path, evaluation.Features,
            metadata: new Dictionary<string, string> { ["saealign.content"] = "ground-truth features" }));
        for (int k = 0; k < models.Count; k++)
        {
            var metadata = ModelMetadata(models[k]);
            metadata["saealign.content"] = "hidden activations";
            Write($"eval_hidden_seed{models[k].Seed}.parquet", path => ActivationParquet.Write(path, evaluation.Hidden[k], metadata: metadata));
        }
        Write("summary.json", path => AtomicFile.WriteAllText(path, JsonSerializer.Serialize(Summary(models, geometry), ToyModelConfig.Json)));
        timings["write"] = clock.Elapsed.TotalSeconds;

        run.Commit(new RunManifest(
            Kind,
            JsonSerializer.SerializeToNode(config, ToyModelConfig.Json)!,
            seeds,
            SoftwareVersions.Current,
            timings));
        files.Add(RunFolder.ManifestFileName);
        return new ToyExperimentResult(Path.GetFullPath(outputFolder), config, models, geometry, files);
    }

    /// <summary>Reads a committed toy run folder back: its config, and per seed the model (weights and loss curve) and its geometry.</summary>
    public static ToyExperimentResult Load(string folder)
    {
        var run = RunFolder.Read(folder);
        var manifest = run.Manifest;
        InvalidInputException.Require(manifest.Kind == Kind, $"{folder}: a '{manifest.Kind}' run folder, not a {Kind} one.");
        var config = manifest.Config.Deserialize<ToyModelConfig>(ToyModelConfig.Json)
            ?? throw new InvalidInputException($"{folder}: the manifest has no config.");
        var curve = TableParquet.Read(Path.Combine(folder, "loss_curve.parquet"));
        var curveSeeds = (long[])curve.Single(c => c.Name == "seed").Values;
        var losses = (float[])curve.Single(c => c.Name == "loss").Values;
        var models = manifest.Seeds.Select(seed =>
        {
            var weights = ModelWeightsParquet.Read(Path.Combine(folder, $"weights_seed{seed}.parquet"));
            var lossCurve = losses.Where((_, i) => curveSeeds[i] == seed).ToArray();
            return new TrainedToyModel(seed, config.Architecture, weights.Features, weights.Neurons, weights.W, weights.Bias, lossCurve);
        }).ToArray();
        return new ToyExperimentResult(Path.GetFullPath(folder), config, models,
            models.Select(m => FeatureGeometry.Of(m.W, m.Features, m.Neurons)).ToArray(),
            [.. run.Files.Keys, RunFolder.ManifestFileName]);
    }

    private Dictionary<string, string> ModelMetadata(TrainedToyModel model) => new()
    {
        ["saealign.seed"] = model.Seed.ToString(CultureInfo.InvariantCulture),
        ["saealign.architecture"] = JsonSerializer.Serialize(model.Architecture, ToyModelConfig.Json).Trim('"'),
        ["saealign.config"] = JsonSerializer.Serialize(config, CompactJson),
    };

    private static IReadOnlyList<TableColumn> LossCurveTable(IReadOnlyList<TrainedToyModel> models)
    {
        int steps = models[0].LossCurve.Length;
        return
        [
            TableColumn.Int32("step", models.SelectMany(_ => Enumerable.Range(1, steps)).ToArray()),
            TableColumn.Int64("seed", models.SelectMany(m => Enumerable.Repeat(m.Seed, steps)).ToArray()),
            TableColumn.Float32("loss", models.SelectMany(m => m.LossCurve).ToArray()),
        ];
    }

    private static IReadOnlyList<TableColumn> GeometryTable(IReadOnlyList<TrainedToyModel> models, IReadOnlyList<FeatureGeometry> geometry)
    {
        int n = models[0].Features;
        return
        [
            TableColumn.Int64("seed", models.SelectMany(m => Enumerable.Repeat(m.Seed, n)).ToArray()),
            TableColumn.Int32("feature", models.SelectMany(_ => Enumerable.Range(0, n)).ToArray()),
            TableColumn.Float64("norm", geometry.SelectMany(g => g.Norms).ToArray()),
            TableColumn.Float64("dimensionality", geometry.SelectMany(g => g.Dimensionality).ToArray()),
        ];
    }

    private static object Summary(IReadOnlyList<TrainedToyModel> models, IReadOnlyList<FeatureGeometry> geometry) =>
        models.Select((m, k) => new
        {
            seed = m.Seed,
            finalLoss = m.LossCurve[^1],
            dimensionsPerFeature = geometry[k].DimensionsPerFeature,
            representedFeatures = geometry[k].RepresentedFeatures,
            meanFeatureDimensionality = geometry[k].Dimensionality.Average(),
        }).ToArray();
}
