using SaeAlign.Alignment;
using SaeAlign.Core;

namespace SaeAlign.Pipelines;

/// <summary>
/// Which representations of two models are compared (source -> target). "neuron" is a model's hidden
/// layer, "sae" its SAE latents, "random-sae" the latents of an untrained SAE of the same shape (the control).
/// </summary>
public static class Comparisons
{
    public const string NeuronToNeuron = "neuron->neuron";
    public const string SaeToNeuron = "sae->neuron";
    public const string NeuronToSae = "neuron->sae";
    public const string SaeToSae = "sae->sae";
    public const string RandomSaeToRandomSae = "random-sae->random-sae";

    public static IReadOnlyList<string> All { get; } = [NeuronToNeuron, SaeToNeuron, NeuronToSae, SaeToSae, RandomSaeToRandomSae];

    /// <summary>
    /// Every comparison between two models, one row per comparison x metric x fold, all under the same folds.
    /// <paramref name="neurons"/> labels the rows (the toy width, or the source width in a replay).
    /// </summary>
    public static IReadOnlyList<AlignmentScore> Score(
        int neurons, ModelRepresentations source, ModelRepresentations target, AlignmentOptions options,
        Action<string>? scored = null, CancellationToken cancellationToken = default)
    {
        var rows = new List<AlignmentScore>();
        foreach (var (comparison, x, y) in new[]
        {
            (NeuronToNeuron, source.Neurons, target.Neurons),
            (SaeToNeuron, source.Latents, target.Neurons),
            (NeuronToSae, source.Neurons, target.Latents),
            (SaeToSae, source.Latents, target.Latents),
            (RandomSaeToRandomSae, source.RandomLatents, target.RandomLatents),
        })
        {
            // Callers pair the stimuli once (the pipeline by construction, a replay when it reads its files).
            var pair = new InMemoryPairedRows(x, y, $"{source.Name} {comparison.Split("->")[0]}", $"{target.Name} {comparison.Split("->")[1]}", compareStimuli: false);
            var report = AlignmentRunner.Run(pair, options, cancellationToken);
            foreach (var metric in report.Metrics)
            {
                var folds = metric.FoldScores.Count > 0 ? metric.FoldScores : [metric.Score];
                rows.AddRange(folds.Select((score, fold) => new AlignmentScore(neurons, comparison, metric.Metric, source.Seed, target.Seed, fold, score)));
            }
            scored?.Invoke(comparison);
        }
        return rows;
    }
}

/// <summary>
/// One model's representations of the same stimuli: its neurons, its SAE's latents, and the latents of an
/// untrained SAE of the same shape (the control). <see cref="Name"/> appears in error messages.
/// </summary>
public sealed record ModelRepresentations(string Name, long Seed, ActivationSet Neurons, ActivationSet Latents, ActivationSet RandomLatents);
