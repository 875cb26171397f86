using SaeAlign.Core;
using SaeAlign.Data;
using static TorchSharp.torch;

namespace SaeAlign.Sae;

/// <summary>
/// The libtorch engine: any architecture, on the CPU or a CUDA device. The model, AdamW's moments and the dead-latent
/// counters live on the device; each batch moves there once.
/// </summary>
internal sealed class TorchTrainingEngine : ITrainingEngine
{
    private readonly SaeConfig config;
    private readonly Device device;
    private readonly SparseAutoencoder model;
    private readonly EmbeddingBagDecoder? bag;
    private readonly AdamW optimizer;
    private Tensor sinceFired;
    private SaeStep? last;

    public TorchTrainingEngine(SaeConfig config, int dIn, Tensor decoderBias, SaeTrainerOptions options)
    {
        this.config = config;
        device = options.Device ?? CPU;
        model = config.Architecture.Create(config, dIn, decoderBias, device);
        if (model is TopKSae topK && options.Decoding == TopKDecoding.Sparse)
        {
            bag = new EmbeddingBagDecoder(topK.WDec);
            topK.SparseDecoder = bag.Decode;
        }
        optimizer = new AdamW(model.Parameters, config.WeightDecay);
        sinceFired = zeros(config.ResolvedDSae(dIn), dtype: ScalarType.Int64, device: device).DetachFromDisposeScope();
    }

    public float Step(Tensor batch, int step, double lr)
    {
        var x = batch.to(device);
        var dead = sinceFired >= config.DeadWindow;
        last = model.Forward(x, dead, step);
        optimizer.ZeroGrad();
        last.Loss.backward();
        if (config.UnitNormDecoder) model.RemoveParallelDecoderGradient();
        optimizer.Step(step + 1, lr);
        if (config.UnitNormDecoder) model.NormalizeDecoderRows();
        var updated = where(last.Activity.Fired(), zeros_like(sinceFired), sinceFired + 1).DetachFromDisposeScope();
        sinceFired.Dispose();
        sinceFired = updated;
        return last.Loss.item<float>();
    }

    public SaeMetricsPoint Measure(int step, float loss, Tensor batch, double scale)
    {
        using var noGrad = no_grad();
        var taken = last ?? throw new InvalidOperationException("Measure follows a step.");
        double errorSum = (taken.Output.detach().cpu() - batch).square().sum().item<float>();
        float dead = (sinceFired >= config.DeadWindow).to_type(ScalarType.Float32).mean().item<float>();
        return StepMetrics.Of(step, loss, errorSum, batch, taken.Activity.MeanL0(), dead, scale);
    }

    public IEnumerable<(string Name, SafeTensor Tensor)> State()
    {
        using var scope = NewDisposeScope();
        var named = model.Parameters.Select(p => ($"model.{p.Name}", (Tensor)p.Parameter))
            .Concat(model.Buffers.Select(b => ($"model.{b.Name}", b.Tensor)))
            .Concat(optimizer.State)
            .Append((SaeCheckpoint.SinceFired, sinceFired.to_type(ScalarType.Float32)));
        return named.Select(n => (n.Item1, new SafeTensor(n.Item2.shape, n.Item2.detach().cpu().contiguous().data<float>().ToArray()))).ToArray();
    }

    public void Restore(SaeCheckpoint checkpoint)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        void Copy(string name, Tensor target) =>
            target.copy_(tensor(checkpoint.Values(name, target.shape)).reshape(target.shape).to_type(target.dtype));
        foreach (var (name, parameter) in model.Parameters) Copy($"model.{name}", parameter);
        foreach (var (name, buffer) in model.Buffers) Copy($"model.{name}", buffer);
        foreach (var (name, state) in optimizer.State) Copy(name, state);
        Copy(SaeCheckpoint.SinceFired, sinceFired);
    }

    public SaeDictionary Dictionary(double scale) => SaeDictionary.FromModel(model, scale, null);

    public void Dispose()
    {
        sinceFired.Dispose();
        optimizer.Dispose();
        bag?.Dispose();
        model.Dispose();
    }
}
