using SaeAlign.Core;
using static TorchSharp.torch;

namespace SaeAlign.ToyModels;

/// <summary>
/// Stimuli with their ground truth: the features of each stimulus and every model's hidden activations
/// for it. <see cref="Generate"/> draws held-out stimuli from the evaluation stream, which never overlaps
/// the training batches; <see cref="FromStream"/> replays any stream, e.g. the training data itself.
/// </summary>
public sealed record ToyEvaluation(ActivationSet Features, IReadOnlyList<ActivationSet> Hidden)
{
    private const int ChunkRows = 16_384;

    /// <summary>The config's <see cref="ToyModelConfig.EvalRows"/> held-out stimuli.</summary>
    public static ToyEvaluation Generate(ToyModelConfig config, IReadOnlyList<TrainedToyModel> models, CancellationToken cancellationToken = default) =>
        FromStream(config, models, config.EvaluationStreamSeed, 0, config.EvalRows, cancellationToken);

    /// <summary>
    /// Rows [<paramref name="start"/>, <paramref name="start"/> + <paramref name="rows"/>) of the stream with
    /// <paramref name="streamSeed"/>, drawn in the training batch size so that the training stream's rows are
    /// exactly the stimuli the models were trained on. Stimulus ids are the rows' positions in the stream.
    /// </summary>
    public static ToyEvaluation FromStream(ToyModelConfig config, IReadOnlyList<TrainedToyModel> models, long streamSeed, long start, int rows, CancellationToken cancellationToken = default)
    {
        var (hidden, features) = HiddenWithFeatures(config, models, streamSeed, start, rows, start, rows, cancellationToken);
        return new ToyEvaluation(features, hidden);
    }

    /// <summary>Only the hidden activations of <see cref="FromStream"/>: for large windows whose features are not needed.</summary>
    public static IReadOnlyList<ActivationSet> HiddenFromStream(ToyModelConfig config, IReadOnlyList<TrainedToyModel> models, long streamSeed, long start, int rows, CancellationToken cancellationToken = default)
    {
        var (hidden, _) = Replay(config, models, streamSeed, start, rows, start, 0, cancellationToken);
        var stimuli = StimulusIds(start, rows);
        return hidden.Select(h => new ActivationSet(h, rows, config.Neurons, stimuli)).ToArray();
    }

    /// <summary>
    /// <see cref="HiddenFromStream"/> for rows [<paramref name="start"/>, + <paramref name="rows"/>) together with the
    /// features of the sub-window [<paramref name="featureStart"/>, + <paramref name="featureRows"/>), in one pass over the stream.
    /// </summary>
    public static (IReadOnlyList<ActivationSet> Hidden, ActivationSet Features) HiddenWithFeatures(ToyModelConfig config,
        IReadOnlyList<TrainedToyModel> models, long streamSeed, long start, int rows, long featureStart, int featureRows, CancellationToken cancellationToken = default)
    {
        if (featureStart < start || featureStart + featureRows > start + rows)
            throw new ArgumentOutOfRangeException(nameof(featureStart), "The feature window must lie inside the replayed rows.");
        var (hidden, features) = Replay(config, models, streamSeed, start, rows, featureStart, featureRows, cancellationToken);
        var stimuli = StimulusIds(start, rows);
        var featureNames = Enumerable.Range(0, config.Features).Select(i => $"f{i:D4}").ToArray();
        return (hidden.Select(h => new ActivationSet(h, rows, config.Neurons, stimuli)).ToArray(),
            new ActivationSet(features, featureRows, config.Features, StimulusIds(featureStart, featureRows), featureNames));
    }

    private static (float[][] Hidden, float[] Features) Replay(ToyModelConfig config, IReadOnlyList<TrainedToyModel> models, long streamSeed,
        long start, int rows, long featureStart, int featureRows, CancellationToken cancellationToken)
    {
        int n = config.Features, m = config.Neurons;
        var features = new float[(long)featureRows * n];
        var hidden = models.Select(_ => new float[(long)rows * m]).ToArray();
        int chunk = Math.Max(config.Batch, ChunkRows / config.Batch * config.Batch);
        using var stream = new SparseFeatureStream(n, config.Probability, streamSeed);
        for (long position = 0; position < start + rows;)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            int count = (int)Math.Min(chunk, start + rows - position);
            var x = NextRows(stream, count, config.Batch);
            // Rows of this chunk that fall inside the requested window.
            long from = Math.Max(position, start), to = position + count;
            if (to > from)
            {
                var window = x.narrow(0, from - position, to - from);
                long offset = from - start;
                long featureFrom = Math.Max(from, featureStart), featureTo = Math.Min(to, featureStart + featureRows);
                if (featureTo > featureFrom)
                    x.narrow(0, featureFrom - position, featureTo - featureFrom).contiguous().data<float>()
                        .CopyTo(features.AsSpan((int)((featureFrom - featureStart) * n)));
                for (int k = 0; k < models.Count; k++)
                    models[k].Hidden(window).data<float>().CopyTo(hidden[k].AsSpan((int)(offset * m)));
            }
            position += count;
        }
        return (hidden, features);
    }

    private static long[] StimulusIds(long start, int rows) => Enumerable.Range(0, rows).Select(r => start + r).ToArray();

    /// <summary>Draws <paramref name="count"/> rows as whole batches of the stream, so row r is always the same stimulus.</summary>
    private static Tensor NextRows(SparseFeatureStream stream, int count, int batch)
    {
        var parts = new List<Tensor>();
        for (int drawn = 0; drawn < count; drawn += batch) parts.Add(stream.Next(batch));
        var all = parts.Count == 1 ? parts[0] : cat(parts, 0);
        return all.shape[0] == count ? all : all.narrow(0, 0, count);
    }
}
