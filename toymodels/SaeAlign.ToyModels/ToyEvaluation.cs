using SaeAlign.Core;
using static TorchSharp.torch;

namespace SaeAlign.ToyModels;

/// <summary>
/// Held-out stimuli with their ground truth: the features of each stimulus and every model's hidden
/// activations for it. Drawn from a stream of its own, so it never overlaps the training batches.
/// </summary>
public sealed record ToyEvaluation(ActivationSet Features, IReadOnlyList<ActivationSet> Hidden)
{
    private const int ChunkRows = 16_384;

    public static ToyEvaluation Generate(ToyModelConfig config, IReadOnlyList<TrainedToyModel> models, CancellationToken cancellationToken = default)
    {
        int rows = config.EvalRows, n = config.Features, m = config.Neurons;
        var features = new float[(long)rows * n];
        var hidden = models.Select(_ => new float[(long)rows * m]).ToArray();
        using var stream = new SparseFeatureStream(n, config.Probability, Seeds.Derive(config.DataSeed, "toy-eval"));
        for (int start = 0; start < rows; start += ChunkRows)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            int count = Math.Min(ChunkRows, rows - start);
            var x = stream.Next(count);
            x.data<float>().CopyTo(features, start * n);
            for (int k = 0; k < models.Count; k++)
                models[k].Hidden(x).data<float>().CopyTo(hidden[k], start * m);
        }
        var featureNames = Enumerable.Range(0, n).Select(i => $"f{i:D4}").ToArray();
        return new ToyEvaluation(
            new ActivationSet(features, rows, n, unitNames: featureNames),
            hidden.Select(h => new ActivationSet(h, rows, m)).ToArray());
    }
}
