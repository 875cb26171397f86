using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using SaeAlign.Core;
using SaeAlign.Data;
using static TorchSharp.torch;
using static SaeAlign.Core.InputField;

namespace SaeAlign.Sae;

/// <summary>
/// Trains one SAE on an activation set (sparsify-style loop): rows [0, TrainFraction·N) train, in file
/// order or shuffled per epoch from the seed; inputs are scaled so that E||x||² = d_in; AdamW with linear
/// warm-up and decay; dead latents are tracked over a window of steps for AuxK and the dead fraction.
/// Every step checks the loss for NaN. Checkpoints hold the complete state, so a resumed run ends with
/// the same weights as an uninterrupted one.
/// </summary>
public sealed class SaeTrainer(SaeConfig config, SaeTrainerOptions? options = null)
{
    private readonly SaeTrainerOptions options = options ?? new SaeTrainerOptions();

    public SaeTrainingResult Train(ActivationSet data, IProgress<SaeTrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        int dIn = data.Columns;
        config.Validate(dIn);
        InvalidInputException.Require(data.Rows >= 1, "the activation file has no rows.");
        int trainRows = Math.Max(1, (int)(data.Rows * config.TrainFraction));
        int stepsPerEpoch = (trainRows + config.Batch - 1) / config.Batch;
        int steps = config.TotalSteps(trainRows);
        options.RequireSupports(config);

        using var outer = NewDisposeScope();
        // Straight from the array (a span's ToArray would add a gigabyte of managed garbage at the paper's scale).
        var raw = tensor(data.Values, [data.Rows, dIn]).narrow(0, 0, trainRows);
        string fingerprint = Fingerprint(data, trainRows);
        var checkpoint = options.Resume ? SaeCheckpoint.Read(RequireCheckpointPath(), config, dIn, fingerprint) : null;
        double scale = checkpoint?.InputScale ?? (config.NormalizeInput ? InputScale(raw) : 1.0);
        var x = scale == 1.0 ? raw : raw * scale;

        using var engine = CreateEngine(dIn, DecoderBiasInit(x));
        var curve = new List<SaeMetricsPoint>();
        int start = 0;
        if (checkpoint is not null)
        {
            engine.Restore(checkpoint);
            curve.AddRange(checkpoint.Curve);
            start = checkpoint.Step;
        }

        int reportEvery = Math.Max(1, steps / 200);
        Tensor? order = null;
        bool checkpointing = options.CheckpointPath is not null && options.CheckpointEvery > 0;
        for (int step = start; step < steps; step++)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                // A stopped run (Ctrl-C, a worker shutting down) keeps its progress: a resume continues from here.
                if (checkpointing && step > start)
                    SaeCheckpoint.Write(options.CheckpointPath!, config, step, scale, fingerprint, dIn, engine.State(), curve);
                cancellationToken.ThrowIfCancellationRequested();
            }
            using var scope = NewDisposeScope();
            int epoch = step / stepsPerEpoch, first = step % stepsPerEpoch * config.Batch;
            if (config.Shuffle && (order is null || first == 0 || step == start))
            {
                order?.Dispose();
                using var generator = new Generator((ulong)Seeds.Derive(config.Seed, $"sae-epoch-{epoch}"));
                order = randperm(trainRows, generator: generator).DetachFromDisposeScope();
            }
            int rows = Math.Min(config.Batch, trainRows - first);
            var batch = order is null ? x.narrow(0, first, rows) : x.index_select(0, order.narrow(0, first, rows));

            float loss = engine.Step(batch, step, LearningRate(step, steps));
            if (!float.IsFinite(loss))
                throw new TrainingDivergedException(
                    $"SAE training diverged: the loss is {loss} at step {step + 1} of {steps}. Try a smaller {Named("lr")}.");
            if ((step + 1) % reportEvery == 0 || step + 1 == steps)
            {
                var point = engine.Measure(step + 1, loss, batch, scale);
                curve.Add(point);
                progress?.Report(new SaeTrainingProgress(step + 1, steps, loss, point.L0, point.DeadFraction));
            }
            if (checkpointing && (step + 1) % options.CheckpointEvery == 0 && step + 1 < steps)
                SaeCheckpoint.Write(options.CheckpointPath!, config, step + 1, scale, fingerprint, dIn, engine.State(), curve);
        }
        order?.Dispose();

        var trained = engine.Dictionary(scale);
        bool heldOut = trainRows < data.Rows;
        var evaluation = SaeMetrics.Evaluate(trained, data, heldOut ? trainRows : 0, heldOut ? data.Rows - trainRows : trainRows, cancellationToken,
            options.Engine == SaeEngine.Torch ? options.Device : null);
        var dictionary = trained with
        {
            Density = evaluation.Density,
            Metadata = new Dictionary<string, string>
            {
                [DictionaryParquet.InputScaleKey] = scale.ToString("R", CultureInfo.InvariantCulture),
                [DictionaryParquet.ConfigKey] = JsonSerializer.Serialize(config, SaeConfig.CompactJson),
            },
        };
        return new SaeTrainingResult(dictionary, curve, evaluation, steps, trainRows, scale, start);
    }

    private ITrainingEngine CreateEngine(int dIn, Tensor decoderBias) => options.Engine switch
    {
        SaeEngine.Ilgpu => new IlgpuTrainingEngine(config, dIn, decoderBias, options),
        _ => new TorchTrainingEngine(config, dIn, decoderBias, options),
    };

    private string RequireCheckpointPath() =>
        options.CheckpointPath ?? throw new InvalidOperationException("Resume needs a checkpoint path.");

    /// <summary>Linear warm-up from 0, constant, then linear decay to 0 over the last LrDecaySteps steps.</summary>
    private double LearningRate(int step, int steps)
    {
        double lr = config.LearningRate;
        if (config.LrWarmupSteps > 0 && step < config.LrWarmupSteps) lr *= (step + 1.0) / config.LrWarmupSteps;
        int decayStart = steps - config.LrDecaySteps;
        if (config.LrDecaySteps > 0 && step >= decayStart) lr *= (steps - step) / (double)config.LrDecaySteps;
        return lr;
    }

    /// <summary>sqrt(d_in / E||x||²) over the training rows, so the scaled rows have E||x||² = d_in.</summary>
    private static double InputScale(Tensor x)
    {
        double meanSquaredNorm = x.square().sum(1).mean().item<float>();
        return meanSquaredNorm > 0 ? Math.Sqrt(x.shape[1] / meanSquaredNorm) : 1.0;
    }

    private Tensor DecoderBiasInit(Tensor x) => config.DecoderBiasInit switch
    {
        Sae.DecoderBiasInit.Zeros => zeros(x.shape[1]),
        Sae.DecoderBiasInit.Mean => x.mean([0]),
        _ => GeometricMedian.Of(x.narrow(0, 0, Math.Min(x.shape[0], GeometricMedian.MaxRows))),
    };

    /// <summary>SHA-256 of the training rows, so a resume on different data is refused.</summary>
    private static string Fingerprint(ActivationSet data, int trainRows)
    {
        var bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(data.Values.AsSpan(0, trainRows * data.Columns));
        return Convert.ToHexStringLower(SHA256.HashData(bytes));
    }
}
