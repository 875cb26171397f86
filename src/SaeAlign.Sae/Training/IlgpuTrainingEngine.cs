using SaeAlign.Core;
using SaeAlign.Data;
using SaeAlign.Kernels;
using static TorchSharp.torch;
using static SaeAlign.Core.InputField;

namespace SaeAlign.Sae;

/// <summary>
/// The ILGPU engine: a topk or paper-toy SAE trained by SaeAlign's own kernels (<see cref="TopKEngine"/>) on one accelerator, a CUDA
/// device through the NVIDIA driver alone or ILGPU's CPU accelerator. It starts from the torch engine's initial weights
/// (drawn on the CPU from the seed), so both engines train the same SAE from the same start on the same batches.
/// </summary>
internal sealed class IlgpuTrainingEngine : ITrainingEngine
{
    private readonly SaeConfig config;
    private readonly int dIn;
    private readonly IlgpuAccelerator accelerator;
    private readonly TopKEngine engine;

    public IlgpuTrainingEngine(SaeConfig config, int dIn, Tensor decoderBias, SaeTrainerOptions options)
    {
        var objective = Supported(config);
        this.config = config;
        this.dIn = dIn;
        int dSae = config.ResolvedDSae(dIn);
        var (k, auxK, auxCoefficient) = config switch
        {
            PaperToySaeConfig toy => (toy.K, 0, toy.AuxKCoefficient),
            TopKSaeConfig topK => (topK.K, topK.ResolvedAuxK(dIn), topK.AuxKCoefficient),
            _ => throw new InvalidOperationException("Supported admits topk and paper-toy only."),
        };
        var settings = new TopKEngineSettings(dIn, dSae, k, auxK, auxCoefficient, config.DeadWindow, config.WeightDecay, config.UnitNormDecoder, config.Batch, objective);
        try
        {
            settings.Validate();
        }
        catch (ArgumentException e)
        {
            throw new InvalidInputException($"{Named("engine")} ilgpu cannot train this SAE: {e.Message}");
        }
        accelerator = Open(options.Device ?? CPU);
        try
        {
            RequireFits(settings, accelerator.AvailableBytes, accelerator.ResidentThreads, accelerator.Name);
            using var scope = NewDisposeScope();
            using var initial = config.Architecture.Create(config, dIn, decoderBias);
            float[] Values(Tensor t) => t.detach().contiguous().data<float>().ToArray();
            engine = new TopKEngine(accelerator, settings, Values(initial.WEnc), Values(initial.WDec), Values(initial.BEnc), Values(initial.BDec));
        }
        catch
        {
            accelerator.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Bad input, before any allocation, when the engine's buffers and its kernels' local memory for
    /// <paramref name="residentThreads"/> threads would not fit the device's <paramref name="available"/> bytes.
    /// </summary>
    public static void RequireFits(TopKEngineSettings settings, long available, long residentThreads, string device)
    {
        long local = settings.LocalBytesPerThread * residentThreads, need = settings.DeviceBytes + local;
        InvalidInputException.Require(need <= available,
            $"{Named("engine")} ilgpu needs about {ByteSize.Gb(need)} on {device}{(local > 0 ? $" ({ByteSize.Gb(settings.DeviceBytes)} of buffers, {ByteSize.Gb(local)} of the top-k lists' local memory)" : "")} for d_in {settings.DIn}, {Named("dSae")} {settings.DSae} and {Named("batch")} {settings.MaxBatch}, which has {ByteSize.Gb(available)} free; a smaller batch, dictionary or {Named("auxK")} fits.");
    }

    /// <summary>The objective of an architecture the engine trains (topk, paper-toy); any other is bad input naming the engine.</summary>
    public static TopKObjective Supported(SaeConfig config) =>
        config.GetType() == typeof(TopKSaeConfig) ? TopKObjective.AuxK
        : config is PaperToySaeConfig ? TopKObjective.PaperToy
        : throw new InvalidInputException($"{Named("engine")} ilgpu trains the topk and paper-toy architectures; {config.Architecture.Name} needs the torch engine.");

    public float Step(Tensor batch, int step, double lr)
    {
        var values = batch.contiguous();
        return engine.Step(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(values.bytes), (int)batch.shape[0], step + 1, lr);
    }

    public SaeMetricsPoint Measure(int step, float loss, Tensor batch, double scale)
    {
        var measured = engine.LastStep();
        return StepMetrics.Of(step, loss, measured.ErrorSum, batch, (float)measured.L0, (float)measured.DeadFraction, scale);
    }

    public IEnumerable<(string Name, SafeTensor Tensor)> State() => engine.State().Select(t => (t.Name, new SafeTensor(t.Shape, t.Values)));

    public void Restore(SaeCheckpoint checkpoint)
    {
        foreach (var (name, shape) in engine.StateShapes()) engine.Load(name, checkpoint.Values(name, shape));
    }

    public SaeDictionary Dictionary(double scale)
    {
        using var scope = NewDisposeScope();
        int dSae = config.ResolvedDSae(dIn);
        using var model = config.Architecture.Build(config, dIn, new SaeTensors(
            tensor(engine.Values("W_enc")).reshape(dIn, dSae), tensor(engine.Values("W_dec")).reshape(dSae, dIn),
            tensor(engine.Values("b_enc")), tensor(engine.Values("b_dec")), null));
        return SaeDictionary.FromModel(model, scale, null);
    }

    private static IlgpuAccelerator Open(Device device) =>
        device.type == TorchSharp.DeviceType.CPU ? IlgpuAccelerator.OnCpu()
            : IlgpuAccelerator.OnCuda(device.index < 0 ? 0 : device.index)
              ?? throw new InvalidInputException($"{Named("device")} is cuda:{Math.Max(0, device.index)}, but the NVIDIA driver reports no such GPU.");

    public void Dispose()
    {
        engine.Dispose();
        accelerator.Dispose();
    }
}
