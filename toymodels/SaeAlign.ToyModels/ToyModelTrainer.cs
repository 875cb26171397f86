using SaeAlign.Core;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static SaeAlign.Core.InputField;

namespace SaeAlign.ToyModels;

/// <summary>
/// Trains one toy model per seed on one shared data stream. The models are trained side by side as a
/// batch of weight matrices [seeds, features, neurons]: each model's loss and AdamW update depend only
/// on its own weights, so this equals training them one after another on the same batches, with one
/// data draw per step instead of one per model. Weights, optimiser state and batches live on the trainer's
/// device (default the CPU); initial weights and data are drawn on the CPU, so a seed means the same on every device.
/// </summary>
public sealed class ToyModelTrainer(ToyModelConfig config, Device? device = null)
{
    private readonly Device device = device ?? CPU;

    public IReadOnlyList<TrainedToyModel> Train(
        IReadOnlyList<long> seeds,
        IProgress<ToyTrainingProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        config.Validate();
        ValidateSeeds(seeds);

        int n = config.Features, m = config.Neurons, models = seeds.Count;
        using var outer = NewDisposeScope();
        var w = new Parameter(stack(seeds.Select(s => XavierNormal(n, m, s)).ToArray()).to(device));
        var b = new Parameter(zeros(models, 1, n, device: device));
        var importance = tensor(FeatureImportanceWeights.For(config.Importance, n)).reshape(1, 1, n).to(device);
        using var optimizer = optim.AdamW([w, b], config.LearningRate, 0.9, 0.999, 1e-8, config.WeightDecay);
        using var stream = new SparseFeatureStream(n, config.Probability, config.TrainingStreamSeed);

        var curves = Enumerable.Range(0, models).Select(_ => new float[config.Steps]).ToArray();
        int reportEvery = Math.Max(1, config.Steps / 200);
        for (int step = 0; step < config.Steps; step++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            var x = stream.Next(config.Batch).to(device);
            var hidden = matmul(x, w);
            if (config.Architecture == ToyArchitecture.HiddenRelu) hidden = nn.functional.relu(hidden);
            var output = nn.functional.relu(matmul(hidden, w.transpose(1, 2)) + b);
            var perModel = (x - output).square().mul(importance).mean([1, 2]);
            optimizer.zero_grad();
            perModel.sum().backward();
            optimizer.step();

            var losses = perModel.detach().cpu().data<float>().ToArray();
            for (int k = 0; k < models; k++)
            {
                if (!float.IsFinite(losses[k]))
                    throw new TrainingDivergedException(
                        $"Toy training diverged: the loss of seed {seeds[k]} is {losses[k]} at step {step + 1} of {config.Steps}. Try a smaller {Named("lr")}.");
                curves[k][step] = losses[k];
            }
            if ((step + 1) % reportEvery == 0 || step + 1 == config.Steps)
                progress?.Report(new ToyTrainingProgress(step + 1, config.Steps, losses));
        }

        return seeds.Select((seed, k) => new TrainedToyModel(
            seed, config.Architecture, n, m,
            w[k].detach().cpu().contiguous().data<float>().ToArray(),
            b[k].detach().cpu().contiguous().data<float>().ToArray(),
            curves[k])).ToArray();
    }

    public static void ValidateSeeds(IReadOnlyList<long> seeds)
    {
        InvalidInputException.Require(seeds.Count >= 1, $"{Named("seeds")} must name at least one seed.");
        InvalidInputException.Require(seeds.Distinct().Count() == seeds.Count, $"{Named("seeds")} must not repeat a seed.");
        InvalidInputException.Require(seeds.All(s => s >= 0), $"{Named("seeds")} must be zero or positive.");
    }

    /// <summary>Xavier-normal [n, m] drawn from the seed's own generator, as torch.nn.init.xavier_normal_ after torch.manual_seed(seed).</summary>
    private static Tensor XavierNormal(int n, int m, long seed)
    {
        using var generator = new Generator((ulong)seed);
        return randn(n, m, generator: generator).mul_(Math.Sqrt(2.0 / (n + m)));
    }
}
