using SaeAlign.Data;

namespace SaeAlign.Pipelines;

/// <summary>One fold's score of one metric for one comparison between two models of width <see cref="Neurons"/>.</summary>
public sealed record AlignmentScore(int Neurons, string Comparison, string Metric, long SourceSeed, long TargetSeed, int Fold, double Score)
{
    /// <summary>Scores as a Parquet table, one row per score.</summary>
    public static void Write(string path, IReadOnlyList<AlignmentScore> scores) => TableParquet.Write(path,
    [
        TableColumn.Int32("neurons", scores.Select(s => s.Neurons).ToArray()),
        TableColumn.String("comparison", scores.Select(s => s.Comparison).ToArray()),
        TableColumn.String("metric", scores.Select(s => s.Metric).ToArray()),
        TableColumn.Int64("source_seed", scores.Select(s => s.SourceSeed).ToArray()),
        TableColumn.Int64("target_seed", scores.Select(s => s.TargetSeed).ToArray()),
        TableColumn.Int32("fold", scores.Select(s => s.Fold).ToArray()),
        TableColumn.Float64("score", scores.Select(s => s.Score).ToArray()),
    ]);

    public static IReadOnlyList<AlignmentScore> Read(string path)
    {
        var c = TableParquet.Read(path).ToDictionary(x => x.Name, x => x.Values);
        var neurons = (int[])c["neurons"];
        var comparison = (string[])c["comparison"];
        var metric = (string[])c["metric"];
        var source = (long[])c["source_seed"];
        var target = (long[])c["target_seed"];
        var fold = (int[])c["fold"];
        var score = (double[])c["score"];
        return Enumerable.Range(0, neurons.Length)
            .Select(r => new AlignmentScore(neurons[r], comparison[r], metric[r], source[r], target[r], fold[r], score[r])).ToArray();
    }
}

/// <summary>A comparison's score for one metric: the mean over model pairs and folds, with the SEM over folds.</summary>
public sealed record AlignmentSummary(int Neurons, string Comparison, string Metric, double Mean, double Sem, int Folds)
{
    /// <summary>
    /// Groups fold scores by (width, comparison, metric). Model pairs are averaged within a fold first, so the
    /// SEM is over folds, as in the paper's cross-validated protocol.
    /// </summary>
    public static IReadOnlyList<AlignmentSummary> Of(IEnumerable<AlignmentScore> scores) =>
        scores.GroupBy(s => (s.Neurons, s.Comparison, s.Metric))
            .Select(g =>
            {
                var perFold = g.GroupBy(s => s.Fold).OrderBy(f => f.Key).Select(f => f.Average(s => s.Score)).ToArray();
                double mean = perFold.Average();
                double sem = perFold.Length > 1
                    ? Math.Sqrt(perFold.Sum(x => (x - mean) * (x - mean)) / (perFold.Length - 1) / perFold.Length)
                    : 0;
                return new AlignmentSummary(g.Key.Neurons, g.Key.Comparison, g.Key.Metric, mean, sem, perFold.Length);
            })
            .OrderBy(s => s.Neurons).ThenBy(s => s.Metric, StringComparer.Ordinal)
            .ThenBy(s => IndexOf(s.Comparison))
            .ToArray();

    /// <summary>(sae->sae / neuron->neuron - 1) x 100%: how much disentanglement changed the alignment; null when either is missing or the base is 0.</summary>
    public static double? RelativeChangePercent(IReadOnlyList<AlignmentSummary> summaries, int neurons, string metric)
    {
        var before = summaries.FirstOrDefault(s => s.Neurons == neurons && s.Metric == metric && s.Comparison == Comparisons.NeuronToNeuron);
        var after = summaries.FirstOrDefault(s => s.Neurons == neurons && s.Metric == metric && s.Comparison == Comparisons.SaeToSae);
        return before is null || after is null || before.Mean == 0 ? null : (after.Mean / before.Mean - 1) * 100;
    }

    /// <summary><see cref="RelativeChangePercent"/> for every width and metric present.</summary>
    public static IReadOnlyList<AlignmentChange> Changes(IReadOnlyList<AlignmentSummary> summaries) =>
        summaries.Select(s => (s.Neurons, s.Metric)).Distinct()
            .Select(g => new AlignmentChange(g.Neurons, g.Metric, RelativeChangePercent(summaries, g.Neurons, g.Metric))).ToArray();

    private static int IndexOf(string comparison)
    {
        int index = Comparisons.All.ToList().IndexOf(comparison);
        return index < 0 ? int.MaxValue : index;
    }
}

/// <summary>How much disentanglement changed one metric at one width, in percent (null when undefined).</summary>
public sealed record AlignmentChange(int Neurons, string Metric, double? Percent);
