using SaeAlign.Core;
using SaeAlign.Sae;

namespace SaeAlign.Pipelines;

/// <summary>
/// The control of every before/after comparison: an untrained SAE of the same architecture and shape.
/// Its latents are a random overcomplete projection, so any gain it shows over the neurons is not disentanglement.
/// </summary>
public static class ControlSae
{
    public static SaeDictionary Untrained(SaeConfig config, int dIn, long seed)
    {
        var seeded = config with { Seed = Seeds.Derive(seed, "random-sae") };
        using var model = seeded.Architecture.Create(seeded, dIn, TorchSharp.torch.zeros(dIn));
        return SaeDictionary.FromModel(model, 1.0, null);
    }

    /// <summary>An untrained SAE shaped like <paramref name="trained"/> (architecture, d_in, d_sae, k).</summary>
    public static SaeDictionary Like(SaeDictionary trained, long seed) =>
        Untrained(trained.Architecture.Shaped(trained.DSae, trained.K), trained.DIn, seed);
}
