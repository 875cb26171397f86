using System.Text.Json.Serialization;

namespace SaeAlign.Sae;

/// <summary>The SAE architectures; their CLI and file names are the kebab-case forms (relu-l1, topk, ...).</summary>
public enum SaeArchitecture
{
    /// <summary>ReLU encoder, MSE + λ Σ f_i ||W_dec,i|| (SAELens "standard").</summary>
    [JsonStringEnumMemberName("relu-l1")]
    ReluL1,
    /// <summary>k largest pre-activations per row, with AuxK for dead latents.</summary>
    [JsonStringEnumMemberName("topk")]
    TopK,
    /// <summary>k·B largest activations across the batch; a JumpReLU threshold at inference.</summary>
    [JsonStringEnumMemberName("batchtopk")]
    BatchTopK,
    /// <summary>Per-latent learned threshold, straight-through rectangle-kernel gradients, L0 penalty.</summary>
    [JsonStringEnumMemberName("jumprelu")]
    JumpRelu,
    /// <summary>The disentanglement paper's ToySAE (cest-andre/align-interp), reproduced exactly.</summary>
    [JsonStringEnumMemberName("paper-toy")]
    PaperToy,
}

/// <summary>How the decoder bias b_dec starts.</summary>
public enum DecoderBiasInit
{
    Zeros,
    Mean,
    /// <summary>The geometric median of the training rows (Weiszfeld), robust to outliers.</summary>
    GeometricMedian,
}

public static class SaeArchitectureNames
{
    public static string Name(this SaeArchitecture architecture) => architecture switch
    {
        SaeArchitecture.ReluL1 => "relu-l1",
        SaeArchitecture.TopK => "topk",
        SaeArchitecture.BatchTopK => "batchtopk",
        SaeArchitecture.JumpRelu => "jumprelu",
        _ => "paper-toy",
    };

    public static IReadOnlyList<string> All { get; } = Enum.GetValues<SaeArchitecture>().Select(Name).ToArray();

    /// <summary>Parses a kebab-case name; an unknown name is bad input naming <paramref name="source"/>.</summary>
    public static SaeArchitecture Parse(string text, string source) =>
        Enum.GetValues<SaeArchitecture>().FirstOrDefault(a => a.Name() == text.Trim().ToLowerInvariant(), (SaeArchitecture)(-1)) is var a && a >= 0
            ? a
            : throw new Core.InvalidInputException($"{source}: unknown architecture '{text}'. Use one of: {string.Join(", ", All)}.");
}
