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

    private const long WidePairs = 1L << 22;

    /// <summary>
    /// Every comparison between two models, one row per comparison x metric x fold, all under the same folds.
    /// <paramref name="neurons"/> labels the rows (the toy width, or the source width in a replay).
    /// </summary>
    public static IReadOnlyList<AlignmentScore> Score(
        int neurons, ModelRepresentations source, ModelRepresentations target, AlignmentOptions options,
        Action<string>? scored = null, CancellationToken cancellationToken = default)
    {
        var rows = new List<AlignmentScore>();
        int n = source.Neurons.Rows;
        // Every comparison is checked against the memory limit before the first is computed, so a run that cannot
        // finish stops before it starts.
        MemoryBudget.RequireDenseFits(n, source.Neurons.Columns, target.Neurons.Columns, options, NeuronToNeuron);
        SparseAlignmentRunner.RequireFits(n, source.Latents.Columns, target.Neurons.Columns, options, SaeToNeuron);
        SparseAlignmentRunner.RequireFits(n, source.Neurons.Columns, target.Latents.Columns, options, NeuronToSae);
        SparseAlignmentRunner.RequireFits(n, source.Latents.Columns, target.Latents.Columns, options, SaeToSae);
        SparseAlignmentRunner.RequireFits(n, source.RandomLatents.Columns, target.RandomLatents.Columns, options, RandomSaeToRandomSae);
        // Neurons are dense and narrow; latents stay sparse at any width (SparseAlignmentRunner).
        var sourceNeurons = SparseCodes.FromDense(source.Neurons);
        var targetNeurons = SparseCodes.FromDense(target.Neurons);
        foreach (var (comparison, x, y) in new (string, SparseCodes?, SparseCodes?)[]
        {
            (NeuronToNeuron, null, null),
            (SaeToNeuron, source.Latents, targetNeurons),
            (NeuronToSae, sourceNeurons, target.Latents),
            (SaeToSae, source.Latents, target.Latents),
            (RandomSaeToRandomSae, source.RandomLatents, target.RandomLatents),
        })
        {
            string sourceName = $"{source.Name} {comparison.Split("->")[0]}", targetName = $"{target.Name} {comparison.Split("->")[1]}";
            // Callers pair the stimuli once (the pipeline by construction, a replay when it reads its files).
            var report = x is null || y is null
                ? AlignmentRunner.Run(new InMemoryPairedRows(source.Neurons, target.Neurons, sourceName, targetName, compareStimuli: false), options, cancellationToken)
                : SparseAlignmentRunner.Run(x, y, options, cancellationToken);
            rows.AddRange(AlignmentScore.Of(report, neurons, comparison, source.Seed, target.Seed));
            scored?.Invoke(comparison);
            // Each comparison's working set (cross-sum buffers, cached rows, transport candidates) is garbage now; wide
            // codes make it hundreds of megabytes, which the GC would otherwise carry into the next comparison.
            if (x is not null && y is not null && (long)x.Columns * y.Columns > WidePairs) ProcessMemory.Release();
        }
        return rows;
    }
}

/// <summary>
/// One model's representations of the same stimuli: its neurons, its SAE's latents, and the latents of an
/// untrained SAE of the same shape (the control). <see cref="Name"/> appears in error messages.
/// </summary>
public sealed record ModelRepresentations(string Name, long Seed, ActivationSet Neurons, SparseCodes Latents, SparseCodes RandomLatents);
