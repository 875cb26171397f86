namespace SaeAlign.Sae;

/// <summary>How a top-k SAE decodes in training: the k active latents only (embedding bag) or the dense product.</summary>
public enum TopKDecoding
{
    Sparse,
    Dense,
}

/// <summary>Checkpoints, device and fast paths of a training run; none of them changes the recipe (a GPU rounds differently from the CPU: README, GPU).</summary>
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
    /// <summary>topk only: builds, for the model's W_dec, a decoder of the k active latents that replaces the dense product; the trainer disposes it.</summary>
    public Func<TorchSharp.Modules.Parameter, OwnedSparseDecoder>? SparseDecoder { get; init; }
}

/// <summary>A <see cref="Sae.SparseDecoder"/> with the object behind it (e.g. Kernels' embedding bag), which its owner disposes.</summary>
public sealed record OwnedSparseDecoder(SparseDecoder Decode, IDisposable Owner) : IDisposable
{
    /// <summary>The decoder of <paramref name="owner"/>, e.g. <c>Of(new EmbeddingBagDecoder(w), bag => bag.Decode)</c>.</summary>
    public static OwnedSparseDecoder Of<T>(T owner, Func<T, SparseDecoder> decode) where T : IDisposable => new(decode(owner), owner);

    public void Dispose() => Owner.Dispose();
}
