using System.Text.Json;
using System.Text.Json.Nodes;
using SaeAlign.Alignment;
using SaeAlign.Core;
using SaeAlign.Data;
using SaeAlign.Sae;
using SaeAlign.ToyModels;

namespace SaeAlign.Pipelines;

/// <summary>
/// The disentanglement experiment end to end, per toy width m: train toy models (one per seed, one data
/// stream) -> replay their hidden activations on the stream's first <see cref="PipelineSpec.Stimuli"/> rows
/// -> train an SAE per model on the first part -> encode the held-out rest (and with an untrained SAE of the
/// same shape, the control) -> alignment for every comparison and model pair -> report. Each stage is a run
/// folder keyed by its config, so a re-run resumes after the last finished stage.
/// </summary>
/// <param name="parallelism">How many seeds (SAE training, encoding) and model pairs (alignment) run at once, each on
/// the calling thread's torch ops: for models this small, one torch thread per seed beats several threads per op.</param>
public sealed class DisentanglementPipeline(PipelineSpec spec, string title, int parallelism = 1)
{
    public const string ReportFolder = "report";

    /// <summary>Held-out rows behind the per-feature best-correlation figure.</summary>
    public const int FigureRows = 200_000;

    public PipelineResult Run(string root, IProgress<PipelineProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        spec.Validate(title);
        Directory.CreateDirectory(root);
        var scores = new List<AlignmentScore>();
        var figures = new List<WidthFigures>();
        var ran = new List<string>();
        foreach (int m in spec.Neurons)
        {
            var width = RunWidth(root, m, progress, ran, cancellationToken);
            scores.AddRange(width.Scores);
            figures.Add(width.Figures);
        }

        var reportFolder = Path.Combine(root, ReportFolder);
        progress?.Report(new PipelineProgress("report", 0));
        using (var run = RunFolder.Create(reportFolder, force: true))
        {
            PipelineReport.Write(run, title, scores, figures);
            run.Commit(new RunManifest("pipeline-report", SpecNode(), spec.Seeds, SoftwareVersions.Current, new Dictionary<string, double>()));
        }
        progress?.Report(new PipelineProgress("report", 1));
        return new PipelineResult(Path.GetFullPath(root), AlignmentSummary.Of(scores), scores, ran);
    }

    private (IReadOnlyList<AlignmentScore> Scores, WidthFigures Figures) RunWidth(
        string root, int m, IProgress<PipelineProgress>? progress, List<string> ran, CancellationToken ct)
    {
        string folder = Path.Combine(root, $"m{m}");
        var toyConfig = spec.Toy with { Neurons = m };
        int stimuli = (int)spec.Stimuli, trainRows = (int)(spec.Stimuli * spec.TrainFraction), heldOut = stimuli - trainRows;

        string toyFolder = Path.Combine(folder, "toy");
        var toyKey = JsonSerializer.SerializeToNode(toyConfig, ToyModelConfig.Json)!;
        if (PipelineStage.IsComplete(toyFolder, ToyExperiment.Kind, toyKey, spec.Seeds))
        {
            progress?.Report(new PipelineProgress($"m{m}: toy training", 1, Skipped: true));
        }
        else
        {
            var toyProgress = new ProgressCallback<ToyTrainingProgress>(p =>
                progress?.Report(new PipelineProgress($"m{m}: toy training", (double)p.Step / p.Steps)));
            new ToyExperiment(toyConfig, spec.Seeds).Run(toyFolder, force: true, toyProgress, ct);
            ran.Add($"m{m}/toy");
        }
        var models = ToyExperiment.Load(toyFolder).Models;

        progress?.Report(new PipelineProgress($"m{m}: activations", 0));
        // The feature-recovery figure needs a sample of the held-out rows' features, not all of them (2M at full scale).
        int figureRows = Math.Min(heldOut, FigureRows);
        var (replayed, truth) = ToyEvaluation.HiddenWithFeatures(toyConfig, models, toyConfig.TrainingStreamSeed, 0, stimuli, trainRows, figureRows, ct);
        var hidden = replayed.ToArray();
        var heldOutHidden = hidden.Select(h => Slice(h, trainRows, heldOut)).ToArray();
        ProcessMemory.Release();
        progress?.Report(new PipelineProgress($"m{m}: activations", 1));

        var saeConfig = spec.Sae with { TrainFraction = spec.TrainFraction };
        var saes = Concurrently.Map(models.Count, parallelism, ct, k =>
        {
            long seed = models[k].Seed;
            string stage = $"m{m}: SAE seed {seed}";
            string saeFolder = Path.Combine(folder, $"sae-seed{seed}");
            var key = new JsonObject
            {
                ["toy"] = toyKey.DeepClone(),
                ["stimuli"] = stimuli,
                ["sae"] = JsonSerializer.SerializeToNode(saeConfig, SaeConfig.Json),
            };
            bool trained = PipelineStage.RunOrSkip(saeFolder, SaeTrainingRun.Kind, key, [seed], run =>
            {
                var saeProgress = new ProgressCallback<SaeTrainingProgress>(p => progress?.Report(new PipelineProgress(stage, (double)p.Step / p.Steps)));
                var result = new SaeTrainer(saeConfig).Train(hidden[k], saeProgress, ct);
                DictionaryParquet.Write(run.PathFor(SaeTrainingRun.DictionaryFile), result.Dictionary);
                TableParquet.Write(run.PathFor("metrics.parquet"),
                [
                    TableColumn.Int32("step", result.Curve.Select(c => c.Step).ToArray()),
                    TableColumn.Float32("loss", result.Curve.Select(c => c.Loss).ToArray()),
                ]);
                return new Dictionary<string, double>();
            });
            if (!trained) progress?.Report(new PipelineProgress(stage, 1, Skipped: true));
            var curve = TableParquet.Read(Path.Combine(saeFolder, "metrics.parquet"));
            return (Trained: trained, Dictionary: DictionaryParquet.Read(Path.Combine(saeFolder, SaeTrainingRun.DictionaryFile)),
                Curve: (seed, ((int[])curve[0].Values).Select(v => (double)v).ToArray(), ((float[])curve[1].Values).Select(v => (double)v).ToArray()));
        });
        ran.AddRange(saes.Select((sae, k) => sae.Trained ? $"m{m}/sae-seed{models[k].Seed}" : null).OfType<string>());
        // Only the held-out rows are needed from here on: at full scale the rest is gigabytes.
        Array.Clear(hidden);
        ProcessMemory.Release();

        progress?.Report(new PipelineProgress($"m{m}: encoding", 0));
        var representations = Concurrently.Map(models.Count, parallelism, ct, k => new ModelRepresentations(
            $"seed {models[k].Seed}", models[k].Seed, heldOutHidden[k],
            SaeMetrics.Encode(saes[k].Dictionary, heldOutHidden[k], ct),
            SaeMetrics.Encode(ControlSae.Untrained(saeConfig, m, models[k].Seed), heldOutHidden[k], ct)));
        ProcessMemory.Release();
        progress?.Report(new PipelineProgress($"m{m}: encoding", 1));

        string alignFolder = Path.Combine(folder, "alignment");
        var alignKey = new JsonObject
        {
            ["toy"] = toyKey.DeepClone(),
            ["stimuli"] = stimuli,
            ["trainFraction"] = spec.TrainFraction,
            ["sae"] = JsonSerializer.SerializeToNode(saeConfig, SaeConfig.Json),
            ["metrics"] = new JsonArray(spec.Metrics.Select(x => (JsonNode)x).ToArray()),
            ["cv"] = spec.Cv,
        };
        bool aligned = PipelineStage.RunOrSkip(alignFolder, "pipeline-alignment", alignKey, spec.Seeds, run =>
        {
            var options = new AlignmentOptions { Metrics = spec.Metrics, Cv = CrossValidation.Parse(spec.Cv) };
            var pairs = Enumerable.Range(0, models.Count).SelectMany(i => Enumerable.Range(0, models.Count).Where(j => j != i).Select(j => (i, j))).ToArray();
            int done = 0;
            var rows = Concurrently.Map(pairs.Length, parallelism, ct, p => Comparisons.Score(m, representations[pairs[p].i], representations[pairs[p].j], options,
                _ => progress?.Report(new PipelineProgress($"m{m}: alignment", (double)Interlocked.Increment(ref done) / (pairs.Length * Comparisons.All.Count))), ct));
            AlignmentScore.Write(run.PathFor("scores.parquet"), rows.SelectMany(r => r).ToArray());
            return new Dictionary<string, double>();
        });
        if (aligned) ran.Add($"m{m}/alignment");
        else progress?.Report(new PipelineProgress($"m{m}: alignment", 1, Skipped: true));
        ProcessMemory.Release();
        var scores = AlignmentScore.Read(Path.Combine(alignFolder, "scores.parquet"));

        var figures = new WidthFigures(m, models[0], saes.Select(sae => sae.Curve).ToArray(),
            SaeMetrics.BestCorrelations(truth, Slice(heldOutHidden[0], 0, figureRows)),
            SaeMetrics.BestCorrelations(truth, Slice(representations[0].Latents, 0, figureRows)));
        return (scores, figures);
    }

    private static ActivationSet Slice(ActivationSet set, int start, int rows) =>
        new(set.Values.AsSpan(start * set.Columns, rows * set.Columns).ToArray(), rows, set.Columns,
            set.Stimuli.AsSpan(start, rows).ToArray(), set.UnitNames);

    private JsonNode SpecNode() => JsonSerializer.SerializeToNode(spec, SaeConfig.Json)!;
}

/// <summary>A finished pipeline: its folder, the before/after summary, every fold score, and the stages that ran (the rest were reused).</summary>
public sealed record PipelineResult(string Folder, IReadOnlyList<AlignmentSummary> Summaries, IReadOnlyList<AlignmentScore> Scores, IReadOnlyList<string> StagesRun);
