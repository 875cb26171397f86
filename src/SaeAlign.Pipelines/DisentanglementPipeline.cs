using System.Text.Json;
using System.Text.Json.Nodes;
using SaeAlign.Alignment;
using SaeAlign.Core;
using SaeAlign.Data;
using SaeAlign.Sae;
using SaeAlign.Torch;
using SaeAlign.ToyModels;

namespace SaeAlign.Pipelines;

/// <summary>
/// The disentanglement experiment end to end, per toy width m: train toy models (one per seed, one data
/// stream) -> replay their hidden activations on the stream's first <see cref="PipelineSpec.Stimuli"/> rows
/// -> train an SAE per model on the first part -> encode the held-out rest (and with an untrained SAE of the
/// same shape, the control) -> alignment for every comparison and model pair -> report. Each stage is a run
/// folder under the root keyed by its config (<see cref="ToyStage"/>, <see cref="SaeStage"/>, <see cref="AlignmentStage"/>,
/// <see cref="ReportFolder"/>), so a re-run resumes after the last finished stage. <see cref="Run"/> runs them all in
/// one process and replays the stream once per width for all of them; <see cref="RunToy"/>, <see cref="RunSae"/>,
/// <see cref="RunAlignment"/> and <see cref="WriteReport"/> run one stage each (a worker's chain of jobs), replaying
/// what that stage needs from the toy models, so both ways write the same files bit for bit.
/// </summary>
public sealed class DisentanglementPipeline
{
    public const string ReportFolder = "report";

    /// <summary>Held-out rows behind the per-feature best-correlation figure.</summary>
    public const int FigureRows = 200_000;

    private const string ScoresFile = "scores.parquet";
    private const string RecoveryFile = "feature_recovery.parquet";

    private readonly PipelineSpec spec;
    private readonly string title;
    private readonly int parallelism;
    private readonly int stimuli, trainRows, figureRows;
    private readonly SaeConfig saeConfig;
    private readonly TorchSharp.torch.Device? device;

    /// <param name="parallelism">How many seeds (SAE training, encoding) and model pairs (alignment) run at once, each on
    /// the calling thread's torch ops: for models this small, one torch thread per seed beats several threads per op.</param>
    /// <param name="device">Where toy models and SAEs train, codes are encoded and the dense moment pass runs (default the
    /// CPU). Not part of a stage's key: a stage made on one device is reused on another.</param>
    public DisentanglementPipeline(PipelineSpec spec, string title, int parallelism = 1, TorchSharp.torch.Device? device = null)
    {
        this.device = device;
        spec.Validate(title);
        this.spec = spec;
        this.title = title;
        this.parallelism = parallelism;
        stimuli = (int)spec.Stimuli;
        trainRows = (int)(spec.Stimuli * spec.TrainFraction);
        // The feature-recovery figure needs a sample of the held-out rows' features, not all of them (2M at full scale).
        figureRows = Math.Min(stimuli - trainRows, FigureRows);
        saeConfig = spec.Sae with { TrainFraction = spec.TrainFraction };
    }

    /// <summary>The stages' run folders, relative to the root; <see cref="PipelineResult.StagesRun"/> names stages by them.</summary>
    public static string ToyStage(int m) => $"m{m}/toy";

    public static string SaeStage(int m, long seed) => $"m{m}/sae-seed{seed}";

    public static string AlignmentStage(int m) => $"m{m}/alignment";

    public PipelineResult Run(string root, IProgress<PipelineProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var ran = new List<string>();
        foreach (int m in spec.Neurons)
        {
            if (RunToy(root, m, progress, cancellationToken)) ran.Add(ToyStage(m));
            var models = Models(root, m);
            // One replay of the stream feeds every seed's SAE and the alignment; it is made only when one of them runs.
            WidthRows? replayed = null;
            var gate = new Lock();
            WidthRows Replayed()
            {
                lock (gate) return replayed ??= Replay(m, models, progress, cancellationToken);
            }
            var trained = Concurrently.Map(models.Count, parallelism, cancellationToken,
                k => TrainSae(root, m, models[k], () => (Replayed().Hidden[k], Replayed().Truth), progress, cancellationToken));
            ran.AddRange(models.Where((_, k) => trained[k]).Select(model => SaeStage(m, model.Seed)));
            // Only the held-out rows are needed from here on: at full scale the rest is gigabytes.
            var heldOut = replayed is null ? null : HeldOut(replayed);
            replayed = null;
            ProcessMemory.Release();
            if (Align(root, m, models, () => heldOut ?? HeldOut(Replayed()), progress, cancellationToken)) ran.Add(AlignmentStage(m));
        }
        var scores = WriteReport(root, progress);
        return new PipelineResult(Path.GetFullPath(root), AlignmentSummary.Of(scores), scores, ran);
    }

    /// <summary>Trains the toy models of width <paramref name="m"/>; false when the stage was already complete.</summary>
    public bool RunToy(string root, int m, IProgress<PipelineProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        string stage = $"m{m}: toy training";
        string folder = Path.Combine(root, ToyStage(m));
        if (PipelineStage.IsComplete(folder, ToyExperiment.Kind, ToyKey(m), spec.Seeds))
        {
            progress?.Report(new PipelineProgress(stage, 1, Skipped: true));
            return false;
        }
        var toyProgress = new ProgressCallback<ToyTrainingProgress>(p => progress?.Report(new PipelineProgress(stage, (double)p.Step / p.Steps)));
        new ToyExperiment(ToyConfig(m), spec.Seeds, device).Run(folder, force: true, toyProgress, cancellationToken);
        return true;
    }

    /// <summary>Trains the SAE of one toy model from a replay of that model's stimuli; false when the stage was already complete.</summary>
    public bool RunSae(string root, int m, long seed, IProgress<PipelineProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var model = Models(root, m).Single(model => model.Seed == seed);
        return TrainSae(root, m, model, () =>
        {
            var rows = Replay(m, [model], progress, cancellationToken);
            return (rows.Hidden[0], rows.Truth);
        }, progress, cancellationToken);
    }

    /// <summary>Encodes the held-out rows, replayed, with every seed's SAE and scores every comparison; false when already complete.</summary>
    public bool RunAlignment(string root, int m, IProgress<PipelineProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var models = Models(root, m);
        return Align(root, m, models, () => HeldOut(Replay(m, models, progress, cancellationToken)), progress, cancellationToken);
    }

    /// <summary>Writes the report folder from the finished stages' folders (always anew) and returns every fold score.</summary>
    public IReadOnlyList<AlignmentScore> WriteReport(string root, IProgress<PipelineProgress>? progress = null)
    {
        progress?.Report(new PipelineProgress("report", 0));
        var scores = spec.Neurons.SelectMany(m => AlignmentScore.Read(Path.Combine(root, AlignmentStage(m), ScoresFile))).ToArray();
        using (var run = RunFolder.Create(Path.Combine(root, ReportFolder), force: true))
        {
            PipelineReport.Write(run, title, scores, spec.Neurons.Select(m => Figures(root, m)).ToArray());
            run.Commit(new RunManifest("pipeline-report", JsonSerializer.SerializeToNode(spec, SaeConfig.Json)!, spec.Seeds, SoftwareVersions.Current,
                new Dictionary<string, double>()));
        }
        progress?.Report(new PipelineProgress("report", 1));
        return scores;
    }

    /// <summary>The stage's folder is a <c>sae train</c> run folder (<see cref="SaeTrainingRun.WriteFiles"/>), keyed by the stage's config.</summary>
    private bool TrainSae(string root, int m, TrainedToyModel model, Func<(ActivationSet Hidden, ActivationSet Truth)> rows, IProgress<PipelineProgress>? progress, CancellationToken ct)
    {
        long seed = model.Seed;
        string stage = $"m{m}: SAE seed {seed}";
        var key = new JsonObject
        {
            ["toy"] = ToyKey(m),
            ["stimuli"] = stimuli,
            ["sae"] = JsonSerializer.SerializeToNode(saeConfig, SaeConfig.Json),
        };
        bool trained = PipelineStage.RunOrSkip(Path.Combine(root, SaeStage(m, seed)), SaeTrainingRun.Kind, key, [seed], run =>
        {
            var saeProgress = new ProgressCallback<SaeTrainingProgress>(p => progress?.Report(new PipelineProgress(stage, (double)p.Step / p.Steps)));
            var (all, truth) = rows();
            var result = new SaeTrainer(saeConfig, new SaeTrainerOptions { Device = device }).Train(all, saeProgress, ct);
            // The figure's rows open the held-out rows, and their true feature activations are known.
            var recovery = GroundTruthRecovery.Measure(result.Dictionary, model.W, model.Features, all.Slice(trainRows, truth.Rows), truth, ct);
            SaeTrainingRun.WriteFiles(run, result, recovery,
                $"{ToyStage(m)} seed {seed}: hidden activations of stimuli 0 to {stimuli - 1}");
            return new Dictionary<string, double>();
        });
        if (!trained) progress?.Report(new PipelineProgress(stage, 1, Skipped: true));
        return trained;
    }

    private bool Align(string root, int m, IReadOnlyList<TrainedToyModel> models, Func<WidthRows> heldOut, IProgress<PipelineProgress>? progress, CancellationToken ct)
    {
        var key = new JsonObject
        {
            ["toy"] = ToyKey(m),
            ["stimuli"] = stimuli,
            ["trainFraction"] = spec.TrainFraction,
            ["sae"] = JsonSerializer.SerializeToNode(saeConfig, SaeConfig.Json),
            ["metrics"] = new JsonArray(spec.Metrics.Select(x => (JsonNode)x).ToArray()),
            ["cv"] = spec.Cv,
            ["nullPermutations"] = spec.NullPermutations,
            ["bootstrap"] = spec.Bootstrap,
            // The stage also keeps the feature-recovery figure's data, from this many held-out rows.
            ["figureRows"] = figureRows,
        };
        bool aligned = PipelineStage.RunOrSkip(Path.Combine(root, AlignmentStage(m)), "pipeline-alignment", key, spec.Seeds, run =>
        {
            var (hidden, truth) = heldOut();
            progress?.Report(new PipelineProgress($"m{m}: encoding", 0));
            var representations = Concurrently.Map(models.Count, parallelism, ct, k => new ModelRepresentations(
                $"seed {models[k].Seed}", models[k].Seed, hidden[k],
                SaeMetrics.EncodeSparse(SaeDictionary.ReadParquet(Path.Combine(root, SaeStage(m, models[k].Seed), SaeTrainingRun.DictionaryFile)), hidden[k], ct, device),
                SaeMetrics.EncodeSparse(ControlSae.Untrained(saeConfig, m, models[k].Seed), hidden[k], ct, device)));
            ProcessMemory.Release();
            progress?.Report(new PipelineProgress($"m{m}: encoding", 1));

            var options = spec.AlignmentOptions() with { Device = device };
            var pairs = Enumerable.Range(0, models.Count).SelectMany(i => Enumerable.Range(0, models.Count).Where(j => j != i).Select(j => (i, j))).ToArray();
            int done = 0;
            var rows = Concurrently.Map(pairs.Length, parallelism, ct, p => Comparisons.Score(m, representations[pairs[p].i], representations[pairs[p].j], options,
                _ => progress?.Report(new PipelineProgress($"m{m}: alignment", (double)Interlocked.Increment(ref done) / (pairs.Length * Comparisons.All.Count))), ct));
            AlignmentScore.Write(run.PathFor(ScoresFile), rows.SelectMany(r => r).ToArray());
            // Kept here, where the held-out rows are at hand, so that the report needs no replay.
            TableParquet.Write(run.PathFor(RecoveryFile),
            [
                TableColumn.Float64("neuron", SaeMetrics.BestCorrelations(truth, hidden[0].Slice(0, figureRows))),
                TableColumn.Float64("latent", SaeMetrics.BestCorrelations(truth, representations[0].Latents.Slice(0, figureRows).ToDense())),
            ]);
            return new Dictionary<string, double>();
        });
        if (!aligned) progress?.Report(new PipelineProgress($"m{m}: alignment", 1, Skipped: true));
        ProcessMemory.Release();
        return aligned;
    }

    /// <summary>
    /// Every model's hidden activations on all the width's stimuli, and the features of the figure's rows. Always from
    /// row 0 in the same chunks, even for the held-out rows only: torch may round a differently sized product differently.
    /// </summary>
    private WidthRows Replay(int m, IReadOnlyList<TrainedToyModel> models, IProgress<PipelineProgress>? progress, CancellationToken ct)
    {
        progress?.Report(new PipelineProgress($"m{m}: activations", 0));
        var config = ToyConfig(m);
        var (hidden, truth) = ToyEvaluation.HiddenWithFeatures(config, models, config.TrainingStreamSeed, 0, stimuli, trainRows, figureRows, ct);
        ProcessMemory.Release();
        progress?.Report(new PipelineProgress($"m{m}: activations", 1));
        return new WidthRows(hidden, truth);
    }

    private WidthRows HeldOut(WidthRows all) => all with { Hidden = all.Hidden.Select(h => h.Slice(trainRows, stimuli - trainRows)).ToArray() };

    private WidthFigures Figures(string root, int m)
    {
        var models = Models(root, m);
        var curves = models.Select(model =>
        {
            var (steps, loss) = SaeTrainingRun.ReadLossCurve(Path.Combine(root, SaeStage(m, model.Seed)));
            return (model.Seed, steps.Select(v => (double)v).ToArray(), loss.Select(v => (double)v).ToArray());
        }).ToArray();
        var recovery = TableParquet.Read(Path.Combine(root, AlignmentStage(m), RecoveryFile));
        SaeDictionary Sae(long seed) => SaeDictionary.ReadParquet(Path.Combine(root, SaeStage(m, seed), SaeTrainingRun.DictionaryFile));
        var stability = new SaeStability(models[0].Seed, models[1].Seed,
            SaeComparison.Compare(Sae(models[0].Seed), Sae(models[1].Seed), new SaeComparisonOptions { Seed = models[0].Seed }));
        var saeRecovery = models.Select(model => (model.Seed, SaeTrainingRun.ReadRecovery(Path.Combine(root, SaeStage(m, model.Seed))))).ToArray();
        return new WidthFigures(m, models[0], curves, (double[])recovery[0].Values, (double[])recovery[1].Values, stability, saeRecovery);
    }

    private static IReadOnlyList<TrainedToyModel> Models(string root, int m) => ToyExperiment.Load(Path.Combine(root, ToyStage(m))).Models;

    private ToyModelConfig ToyConfig(int m) => spec.Toy with { Neurons = m };

    private JsonNode ToyKey(int m) => JsonSerializer.SerializeToNode(ToyConfig(m), ToyModelConfig.Json)!;

    /// <summary>Hidden activations of some of a width's rows, per model, and the ground-truth features of the figure's rows.</summary>
    private sealed record WidthRows(IReadOnlyList<ActivationSet> Hidden, ActivationSet Truth);
}

/// <summary>A finished pipeline: its folder, the before/after summary, every fold score, and the stages that ran (the rest were reused).</summary>
public sealed record PipelineResult(string Folder, IReadOnlyList<AlignmentSummary> Summaries, IReadOnlyList<AlignmentScore> Scores, IReadOnlyList<string> StagesRun);
