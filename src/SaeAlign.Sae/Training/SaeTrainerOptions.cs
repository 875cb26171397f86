namespace SaeAlign.Sae;

/// <summary>How a top-k SAE decodes in training: the k active latents only (embedding bag) or the dense product.</summary>
public enum TopKDecoding
{
    Sparse,
    Dense,
}

/// <summary>What runs a training step: libtorch (every architecture, CPU or CUDA libtorch), or SaeAlign's ILGPU kernels (topk; a GPU through the driver alone).</summary>
public enum SaeEngine
{
    Torch,
    Ilgpu,
}

/// <summary>Checkpoints, engine, device and fast paths of a training run; none of them changes the recipe (a GPU rounds differently from the CPU: README, GPU).</summary>
public sealed record SaeTrainerOptions
{
    /// <summary>Where the model, its optimiser state and each batch live (default the CPU); the activations stay in host memory and move a batch at a time.</summary>
    public TorchSharp.torch.Device? Device { get; init; }
    /// <summary>Where the checkpoint file is written (atomically, replacing the previous one); null: no checkpoints.</summary>
    public string? CheckpointPath { get; init; }
    /// <summary>Steps between checkpoints (0: none); when positive, a cancelled run also writes one before it stops.</summary>
    public int CheckpointEvery { get; init; }
    /// <summary>Continue from <see cref="CheckpointPath"/>; its config and data must be this run's.</summary>
    public bool Resume { get; init; }
    /// <summary>topk on the torch engine: decode the k active latents with an embedding bag instead of the dense product.</summary>
    public TopKDecoding Decoding { get; init; } = TopKDecoding.Dense;
    /// <summary>The torch engine, or the ILGPU engine (topk and paper-toy; <see cref="Device"/> picks its accelerator: the CPU accelerator or CUDA device N).</summary>
    public SaeEngine Engine { get; init; } = SaeEngine.Torch;

    /// <summary>Bad input, naming the engine, when <see cref="Engine"/> cannot train <paramref name="config"/>'s architecture.</summary>
    public void RequireSupports(SaeConfig config)
    {
        if (Engine == SaeEngine.Ilgpu) IlgpuTrainingEngine.Supported(config);
    }

    /// <summary>
    /// The device <paramref name="spec"/> names for <paramref name="engine"/>: libtorch's devices for torch; for ilgpu, the
    /// CPU accelerator or a GPU the NVIDIA driver reports (no CUDA libtorch needed). <paramref name="field"/> names the setting.
    /// </summary>
    public static TorchSharp.torch.Device ResolveDevice(SaeEngine engine, string? spec, SaeAlign.Core.InputField field) =>
        engine == SaeEngine.Ilgpu
            ? SaeAlign.Torch.ComputeDevice.Resolve(spec, field, Kernels.IlgpuAccelerator.CudaDevices(), "the NVIDIA driver reports no GPU")
            : SaeAlign.Torch.ComputeDevice.Resolve(spec, field);
}
