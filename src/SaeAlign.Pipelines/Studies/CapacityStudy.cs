using System.Globalization;
using SaeAlign.Alignment;
using SaeAlign.Core;
using SaeAlign.Data;
using SaeAlign.Sae;
using SaeAlign.ToyModels;
using static SaeAlign.Core.InputField;

namespace SaeAlign.Pipelines.Studies;

/// <summary>
/// Options of the capacity study: toy models of each width in <see cref="Widths"/> (one per seed, all on the same
/// features and data stream), compared on held-out stimuli.
/// </summary>
public sealed record CapacityStudyOptions
{
    public IReadOnlyList<int> Widths { get; init; } = [4, 8, 16, 32];
    public IReadOnlyList<long> Seeds { get; init; } = [0, 1, 2, 3];
    /// <summary>The toy model every width shares apart from its neuron count.</summary>
    public ToyModelConfig Toy { get; init; } = new() { Features = 64, Steps = 1000, Batch = 512, LearningRate = 3e-3, EvalRows = 1500 };
    /// <summary>Neighbours per stimulus for mutual k-NN.</summary>
    public int K { get; init; } = MutualKnn.DefaultK;
    /// <summary>Latent counts of the SAE sweep (empty: no SAE sweep): one SAE per seed on the toy model of width <see cref="SaeModelWidth"/>.</summary>
    public IReadOnlyList<int> SaeWidths { get; init; } = [16, 32, 64, 128];
    public int SaeModelWidth { get; init; } = 16;
    /// <summary>Training-stream stimuli whose hidden activations train the SAEs.</summary>
    public int SaeRows { get; init; } = 32_768;
    public SaeConfig Sae { get; init; } = new PaperToySaeConfig { TrainFraction = 1, Epochs = 4 };
    /// <summary>Where toy models and SAEs train and codes are encoded; null: the CPU.</summary>
    public TorchSharp.torch.Device? Device { get; init; }

    public void Validate()
    {
        InvalidInputException.Require(Widths.Count > 0, $"{Named("widths")} must list at least one width.");
        foreach (var width in Widths)
            InvalidInputException.Require(width >= 1, $"{Named("widths")}: {width} is not a width (at least 1 neuron).");
        InvalidInputException.Require(Widths.Distinct().Count() == Widths.Count, $"{Named("widths")} must not repeat a width.");
        InvalidInputException.Require(Seeds.Count >= 2, "the capacity study compares models pairwise: it needs at least 2 seeds.");
        ToyModelTrainer.ValidateSeeds(Seeds);
        Toy.Validate();
        InvalidInputException.Require(K >= 1 && K < Toy.EvalRows, $"{Named("k")} must be in 1..{Toy.EvalRows - 1}, got {K}.");
        InvalidInputException.Require(SaeModelWidth >= 1 && SaeRows >= 1, "the SAE sweep needs a toy width and training rows of at least 1.");
        foreach (var width in SaeWidths)
        {
            InvalidInputException.Require(width >= 1, $"{Named("saeWidths")}: {width} is not a latent count (at least 1).");
            (Sae with { DSae = width }).Validate(SaeModelWidth);
        }
    }
}

/// <summary>
/// `saealign study capacity`: the "Platonic" convergence test on toy models. Per width m, mutual k-NN and linear CKA
/// between every pair of seeds (mean and SEM over pairs), and between each model and the ground-truth features
/// (mean and SEM over seeds): does alignment grow with capacity?
/// </summary>
public static class CapacityStudy
{
    public const string Name = "capacity";
    public const string BetweenModels = "model-model";
    public const string ToFeatures = "model-features";
    public const string BetweenSaes = "sae-sae";
    public const string SaeToFeatures = "sae-features";

    private sealed record Row(int Width, string Comparison, string Metric, double Mean, double Sem, int Count);

    public static StudyResult Run(CapacityStudyOptions options, string folder, bool force = false, IProgress<StudyProgress>? progress = null, CancellationToken ct = default)
    {
        options.Validate();
        return StudyFolder.Run(Name, options, options.Seeds, folder, force, () =>
        {
            var (rows, recovery) = Compute(options, progress, ct);
            return Outcome(rows, recovery, options);
        });
    }

    /// <summary>The table's rows, and the SAEs' ground-truth recovery (mean over seeds) by summary key.</summary>
    private static (List<Row> Rows, Dictionary<string, double> Recovery) Compute(CapacityStudyOptions options, IProgress<StudyProgress>? progress, CancellationToken ct)
    {
        var rows = new List<Row>();
        var recovery = new Dictionary<string, double>();
        var toys = new Dictionary<int, (IReadOnlyList<TrainedToyModel> Models, ToyEvaluation Evaluation)>();
        (IReadOnlyList<TrainedToyModel> Models, ToyEvaluation Evaluation) Toys(int width)
        {
            if (toys.TryGetValue(width, out var trained)) return trained;
            var config = options.Toy with { Neurons = width };
            var models = new ToyModelTrainer(config, options.Device).Train(options.Seeds, cancellationToken: ct);
            return toys[width] = (models, ToyEvaluation.Generate(config, models, ct));
        }
        int total = options.Widths.Count + options.SaeWidths.Count;
        for (int w = 0; w < options.Widths.Count; w++)
        {
            progress?.Report(new StudyProgress($"capacity: toy width {options.Widths[w]}", w, total));
            var (_, evaluation) = Toys(options.Widths[w]);
            rows.AddRange(Compared(options.Widths[w], BetweenModels, ToFeatures, evaluation.Hidden, evaluation.Features, options.K, ct));
        }
        if (options.SaeWidths.Count > 0)
        {
            var (models, evaluation) = Toys(options.SaeModelWidth);
            var config = options.Toy with { Neurons = options.SaeModelWidth };
            var training = ToyEvaluation.HiddenFromStream(config, models, config.TrainingStreamSeed, 0, options.SaeRows, ct);
            for (int w = 0; w < options.SaeWidths.Count; w++)
            {
                int width = options.SaeWidths[w];
                progress?.Report(new StudyProgress($"capacity: SAE width {width}", options.Widths.Count + w, total));
                var latents = new ActivationSet[models.Count];
                var recovered = new GroundTruthRecovery[models.Count];
                for (int k = 0; k < models.Count; k++)
                {
                    var sae = new SaeTrainer(options.Sae with { DSae = width, Seed = models[k].Seed }, new SaeTrainerOptions { Device = options.Device })
                        .Train(training[k], cancellationToken: ct);
                    latents[k] = SaeMetrics.Encode(sae.Dictionary, evaluation.Hidden[k], ct, options.Device);
                    recovered[k] = GroundTruthRecovery.Measure(sae.Dictionary, models[k].W, models[k].Features, evaluation.Hidden[k], evaluation.Features, ct);
                }
                rows.AddRange(Compared(width, BetweenSaes, SaeToFeatures, latents, evaluation.Features, options.K, ct));
                foreach (var (metric, value) in new (string, Func<GroundTruthRecovery, double>)[] { ("mcc", r => r.Mcc), ("uniqueness", r => r.Uniqueness), ("f1", r => r.Detection!.F1) })
                    recovery[string.Create(CultureInfo.InvariantCulture, $"{SaeToFeatures}.{metric}.width{width}")] = recovered.Average(value);
            }
        }
        progress?.Report(new StudyProgress("capacity: widths", total, total));
        return (rows, recovery);
    }

    /// <summary>Mutual k-NN and CKA between every pair of sets (over pairs) and of each set with the features (over seeds).</summary>
    private static IEnumerable<Row> Compared(int width, string between, string toFeatures, IReadOnlyList<ActivationSet> sets, ActivationSet features, int k, CancellationToken ct)
    {
        var pairs = new List<(double Mknn, double Cka)>();
        for (int a = 0; a < sets.Count; a++)
            for (int b = a + 1; b < sets.Count; b++)
                pairs.Add(Compare(sets[a], sets[b], k, ct));
        var truth = sets.Select(h => Compare(h, features, k, ct)).ToArray();
        yield return Summarised(width, between, AlignmentMetric.Mknn, pairs.Select(p => p.Mknn).ToArray());
        yield return Summarised(width, between, AlignmentMetric.Cka, pairs.Select(p => p.Cka).ToArray());
        yield return Summarised(width, toFeatures, AlignmentMetric.Mknn, truth.Select(p => p.Mknn).ToArray());
        yield return Summarised(width, toFeatures, AlignmentMetric.Cka, truth.Select(p => p.Cka).ToArray());
    }

    /// <summary>Mutual k-NN and linear CKA of two sets over the same stimuli (constant units add nothing to either).</summary>
    private static (double Mknn, double Cka) Compare(ActivationSet x, ActivationSet y, int k, CancellationToken ct) =>
        (MutualKnn.Score(Matrix.From(x), Matrix.From(y), k, ct), StudyMetrics.Cka(x, y));

    private static Row Summarised(int width, string comparison, string metric, double[] values)
    {
        var (mean, sem) = CrossValidation.Summarise(values);
        return new Row(width, comparison, metric, mean, sem, values.Length);
    }

    private static StudyOutcome Outcome(IReadOnlyList<Row> rows, IReadOnlyDictionary<string, double> recovery, CapacityStudyOptions options)
    {
        var table = new[]
        {
            TableColumn.Int32("width", rows.Select(r => r.Width).ToArray()),
            TableColumn.String("comparison", rows.Select(r => r.Comparison).ToArray()),
            TableColumn.String("metric", rows.Select(r => r.Metric).ToArray()),
            TableColumn.Float64("mean", rows.Select(r => r.Mean).ToArray()),
            TableColumn.Float64("sem", rows.Select(r => r.Sem).ToArray()),
            TableColumn.Int32("count", rows.Select(r => r.Count).ToArray()),
        };
        var summary = new Dictionary<string, double>(recovery);
        List<(string Label, double[] X, double[] Mean, double[] Error, bool Dashed)> Series(params string[] comparisons)
        {
            var series = new List<(string Label, double[] X, double[] Mean, double[] Error, bool Dashed)>();
            foreach (var group in rows.Where(r => comparisons.Contains(r.Comparison)).GroupBy(r => (r.Comparison, r.Metric)))
            {
                var g = group.ToArray();
                summary[string.Create(CultureInfo.InvariantCulture, $"{group.Key.Comparison}.{group.Key.Metric}.width{g[0].Width}")] = g[0].Mean;
                summary[string.Create(CultureInfo.InvariantCulture, $"{group.Key.Comparison}.{group.Key.Metric}.width{g[^1].Width}")] = g[^1].Mean;
                series.Add(($"{group.Key.Metric} {group.Key.Comparison}", g.Select(r => (double)r.Width).ToArray(), g.Select(r => r.Mean).ToArray(),
                    g.Select(r => r.Sem).ToArray(), group.Key.Comparison == comparisons[1]));
            }
            return series;
        }
        string setup = string.Create(CultureInfo.InvariantCulture, $"{options.Toy.Features} features, k = {options.K}; mean ± SEM over seed pairs / seeds");
        var toy = Series(BetweenModels, ToFeatures);
        var plots = new List<StudyPlot>
        {
            new("alignment_vs_width.png", path => ReportPlots.Sweep(path, $"Alignment vs toy width ({setup})", "width m (neurons)", "alignment", true, toy)),
        };
        if (options.SaeWidths.Count > 0)
        {
            var sae = Series(BetweenSaes, SaeToFeatures);
            plots.Add(new("sae_alignment_vs_width.png", path => ReportPlots.Sweep(path,
                string.Create(CultureInfo.InvariantCulture, $"SAE latents of the width-{options.SaeModelWidth} toy vs SAE width ({setup})"), "SAE latents", "alignment", true, sae)));
        }
        return new StudyOutcome(table, summary, plots);
    }
}
