using System.Globalization;
using System.Text;
using System.Text.Json;
using SaeAlign.Alignment;
using SaeAlign.Data;
using SaeAlign.Sae;
using SaeAlign.ToyModels;

namespace SaeAlign.Pipelines;

/// <summary>What the report shows for one toy-model width besides the alignment scores.</summary>
public sealed record WidthFigures(
    int Neurons,
    TrainedToyModel Toy,
    IReadOnlyList<(long Seed, double[] Steps, double[] Loss)> SaeCurves,
    double[] NeuronBestCorrelation,
    double[] LatentBestCorrelation,
    SaeStability SaeStability,
    IReadOnlyList<(long Seed, GroundTruthRecovery? Recovery)> SaeRecovery);

/// <summary>The SAEs of two toy models of one width compared (<see cref="SaeComparison"/>): do their latents reappear?</summary>
public sealed record SaeStability(long SeedA, long SeedB, SaeComparisonResult Comparison);

/// <summary>
/// The pipeline's report: scores.parquet (one row per comparison x metric x model pair x fold),
/// summary.json, summary.md, before/after bars per width, and for toy models (widths) their
/// feature geometry, SAE training curves, feature recovery, SAE seed stability and each SAE's ground-truth recovery. A replay has no toy model and passes none.
/// </summary>
public static class PipelineReport
{
    public static IReadOnlyList<string> Write(RunFolder run, string title, IReadOnlyList<AlignmentScore> scores, IReadOnlyList<WidthFigures> widths)
    {
        var files = new List<string>();
        void Add(string name, Action<string> write)
        {
            write(run.PathFor(name));
            files.Add(name);
        }

        Add("scores.parquet", path => AlignmentScore.Write(path, scores));
        var summaries = AlignmentSummary.Of(scores);
        var changes = AlignmentSummary.Changes(scores);
        Add("summary.json", path => AtomicFile.WriteAllText(path, JsonSerializer.Serialize(new { summaries, changePercent = changes }, ToyModelConfig.Json)));
        Add("summary.md", path => AtomicFile.WriteAllText(path, Markdown(title, summaries, changes)));

        var metrics = summaries.Select(s => s.Metric).Distinct().ToArray();
        foreach (int m in summaries.Select(s => s.Neurons).Distinct())
        {
            Add($"alignment_m{m}.png", path => ReportPlots.AlignmentBars(path,
                $"{title}, m = {m}: " + string.Join(", ", metrics.Select(metric => $"{metric} {FormatChange(AlignmentSummary.RelativeChangePercent(summaries, m, metric))}")),
                metrics, Comparisons.All,
                (metric, comparison) => summaries.FirstOrDefault(s => s.Neurons == m && s.Metric == metric && s.Comparison == comparison) is { } s
                    ? new ReportPlots.BarScore(s.Mean, s.Sem, s.Calibration is { NullLow: { } low, NullHigh: { } high } ? (low, high) : null)
                    : null));
        }
        foreach (var width in widths)
        {
            int m = width.Neurons;
            Add($"geometry_m{m}.png", path => ReportPlots.Heatmap(path,
                $"Feature geometry W W^T, m = {m}, seed {width.Toy.Seed}", FeatureGram(width.Toy), "W_i . W_j"));
            Add($"sae_curves_m{m}.png", path => ReportPlots.Curves(path, $"SAE training, m = {m}", "loss",
                width.SaeCurves.Select(c => ($"seed {c.Seed}", c.Steps, c.Loss)).ToArray()));
            Add($"feature_recovery_m{m}.png", path => ReportPlots.FeatureRecovery(path,
                $"Feature recovery, m = {m}: mean best r {width.NeuronBestCorrelation.Average():0.000} neurons, {width.LatentBestCorrelation.Average():0.000} latents",
                width.NeuronBestCorrelation, width.LatentBestCorrelation));
            var stability = width.SaeStability;
            Add($"sae_stability_m{m}.png", path => ReportPlots.CosineHistogram(path,
                string.Create(CultureInfo.InvariantCulture, $"SAE seed stability, m = {m}: SAEs of seeds {stability.SeedA} and {stability.SeedB}, {stability.Comparison.Decoder.SharedFraction:0.00} of latents shared"),
                [("decoder", stability.Comparison.Decoder.MatchedCosines), ("encoder", stability.Comparison.Encoder.MatchedCosines),
                 ("random dictionary (decoder)", stability.Comparison.Decoder.BaselineCosines)], stability.Comparison.Threshold));
        }
        if (widths.Count > 0)
        {
            Add("sae_stability.json", path => AtomicFile.WriteAllText(path, StabilityJson(widths)));
            Add("sae_recovery.json", path => AtomicFile.WriteAllText(path, JsonSerializer.Serialize(widths.Select(w => new
            {
                neurons = w.Neurons,
                saes = w.SaeRecovery.Select(r => new { seed = r.Seed, groundTruth = r.Recovery }),
            }), StabilityJsonOptions)));
        }
        return files;
    }

    /// <summary>Per width, the shared fraction and mean matched cosine of decoder and encoder directions, with their random baselines.</summary>
    private static string StabilityJson(IReadOnlyList<WidthFigures> widths) => JsonSerializer.Serialize(widths.Select(w => new
    {
        neurons = w.Neurons,
        seeds = new[] { w.SaeStability.SeedA, w.SaeStability.SeedB },
        latents = w.SaeStability.Comparison.LatentsA,
        threshold = w.SaeStability.Comparison.Threshold,
        directions = new[] { w.SaeStability.Comparison.Decoder, w.SaeStability.Comparison.Encoder }.Select(d => new
        {
            d.Directions, d.SharedFraction, d.MeanMatchedCosine, d.BaselineSharedFraction, d.BaselineMeanMatchedCosine,
        }),
    }), StabilityJsonOptions);

    private static readonly JsonSerializerOptions StabilityJsonOptions = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    /// <summary>The before/after table as Markdown: one row per width and metric, one column per comparison, then the relative change.</summary>
    public static string Markdown(string title, IReadOnlyList<AlignmentSummary> summaries, IReadOnlyList<AlignmentChange> changes)
    {
        var text = new StringBuilder();
        text.AppendLine($"# {title}: alignment before and after disentanglement").AppendLine();
        text.AppendLine("Mean ± SEM over cross-validation folds (model pairs averaged within a fold). " +
            "Change = (sae->sae / neuron->neuron - 1) x 100%.").AppendLine();
        if (Legend(summaries) is { Length: > 0 } legend) text.AppendLine(legend).AppendLine();
        text.AppendLine($"| neurons | metric | {string.Join(" | ", Comparisons.All)} | change |");
        text.AppendLine($"|---|---|{string.Concat(Comparisons.All.Select(_ => "---|"))}---|");
        foreach (var group in summaries.GroupBy(s => (s.Neurons, s.Metric)))
        {
            var cells = Comparisons.All.Select(c => group.FirstOrDefault(s => s.Comparison == c) is { } s ? FormatScore(s, "<br>") : "");
            var change = changes.First(c => c.Neurons == group.Key.Neurons && c.Metric == group.Key.Metric);
            text.AppendLine($"| {group.Key.Neurons} | {group.Key.Metric} | {string.Join(" | ", cells)} | {FormatChange(change, "<br>")} |");
        }
        return text.ToString();
    }

    public static string FormatChange(double? percent) =>
        percent is { } p ? string.Create(CultureInfo.InvariantCulture, $"{p:+0.0;-0.0;0.0}%") : "n/a";

    /// <summary>A change with its bootstrap interval and its calibrated counterpart, when they exist, one per line.</summary>
    public static string FormatChange(AlignmentChange change, string newLine)
    {
        var lines = new List<string> { FormatChange(change.Percent) };
        if (change.PercentLow is { } low && change.PercentHigh is { } high)
            lines.Add(string.Create(CultureInfo.InvariantCulture, $"[{low:+0.0;-0.0;0.0}, {high:+0.0;-0.0;0.0}]"));
        if (change.CalibratedPercent is { } calibrated) lines.Add($"cal {FormatChange(calibrated)}");
        return string.Join(newLine, lines);
    }

    /// <summary>Mean ± SEM, then the calibrated score and p-value, then the bootstrap interval, when they exist, one per line.</summary>
    public static string FormatScore(AlignmentSummary summary, string newLine)
    {
        var lines = new List<string> { string.Create(CultureInfo.InvariantCulture, $"{summary.Mean:0.0000} ± {summary.Sem:0.0000}") };
        if (summary.Calibration?.Calibrated is { } calibrated)
            lines.Add(string.Create(CultureInfo.InvariantCulture, $"cal {calibrated:0.0000} p {summary.Calibration.PValue:0.000}"));
        if (summary.Calibration is { IntervalLow: { } low, IntervalHigh: { } high })
            lines.Add(string.Create(CultureInfo.InvariantCulture, $"[{low:0.0000}, {high:0.0000}]"));
        return string.Join(newLine, lines);
    }

    /// <summary>How to read the calibration lines of <see cref="FormatScore"/>; empty when no replicate ran.</summary>
    public static string Legend(IReadOnlyList<AlignmentSummary> summaries)
    {
        int permutations = summaries.Max(s => s.Calibration?.Permutations ?? 0), bootstraps = summaries.Max(s => s.Calibration?.Bootstraps ?? 0);
        var parts = new List<string>();
        if (permutations > 0)
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"cal = score − mean of {permutations} permutation-null scores (the target's stimuli shuffled within folds), p = empirical p-value (smallest possible {1.0 / (permutations + 1):0.000})"));
        if (bootstraps > 0)
            parts.Add($"[low, high] = {ScoreCalibration.Confidence * 100:0}% bootstrap percentile interval over {bootstraps} resamples of the stimuli (paired across comparisons for the change)");
        return string.Join("; ", parts) + (parts.Count > 0 ? "." : "");
    }

    private static double[,] FeatureGram(TrainedToyModel model)
    {
        int n = model.Features, m = model.Neurons;
        var gram = new double[n, n];
        for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
        {
            double dot = 0;
            for (int k = 0; k < m; k++) dot += (double)model.W[i * m + k] * model.W[j * m + k];
            gram[i, j] = dot;
        }
        return gram;
    }
}
