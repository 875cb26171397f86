using System.ComponentModel;
using System.Text.Json.Serialization;
using SaeAlign.Core;
using static SaeAlign.Core.InputField;
using static TorchSharp.torch;

namespace SaeAlign.Sae;

/// <summary>
/// Matryoshka BatchTopK SAE (Bussmann et al. 2025; SAELens "matryoshka_batchtopk"): a BatchTopK SAE whose nested
/// prefixes of the dictionary, latents [0, w₁), [0, w₂), ..., must each reconstruct the input on their own.
/// loss = the full SAE's (MSE + AuxK) + Σ over the inner prefixes of ||x - (codes[:, :w] W_dec[:w] + b_dec)||².
/// Early latents so learn general features that later ones refine instead of absorbing them. Inference is
/// batchtopk's: a JumpReLU with the EMA threshold, and it is saved as one.
/// </summary>
public sealed class MatryoshkaBatchTopKSae : BatchTopKSae
{
    private readonly IReadOnlyList<int> widths;

    public MatryoshkaBatchTopKSae(MatryoshkaBatchTopKSaeConfig config, int dIn, Tensor wEnc, Tensor wDec, Tensor bEnc, Tensor bDec, Tensor threshold)
        : base(config, dIn, wEnc, wDec, bEnc, bDec, threshold) => widths = config.Widths(DSae);

    protected override IEnumerable<(string Name, Tensor Loss)> NestedLosses(Tensor x, Tensor codes)
    {
        // Each prefix adds its new latents to the previous prefix's reconstruction; the full width is the SAE's own MSE.
        Tensor decoded = BDec;
        int previous = 0;
        foreach (int width in widths.Take(widths.Count - 1))
        {
            decoded = decoded + matmul(codes.narrow(1, previous, width - previous), WDec.narrow(0, previous, width - previous));
            previous = width;
            yield return ($"mse_{width}", SquaredError(x, decoded));
        }
    }
}

/// <summary>matryoshka-batchtopk's settings: batchtopk's and the prefix widths (SAELens' matryoshka_widths).</summary>
public sealed record MatryoshkaBatchTopKSaeConfig : BatchTopKSaeConfig
{
    [Description("Widths of the nested prefixes, increasing, e.g. 128,512,2048; d_sae ends the list (none: d_sae/64, d_sae/16, d_sae/4).")]
    public IReadOnlyList<int> Groups { get; init; } = [];

    /// <summary>The prefix widths for <paramref name="dSae"/> latents, ending at d_sae (added when the groups stop short, as SAELens does).</summary>
    public IReadOnlyList<int> Widths(int dSae)
    {
        var widths = Groups.Count > 0 ? [.. Groups] : new[] { dSae / 64, dSae / 16, dSae / 4 }.Where(w => w >= 1).Distinct().ToList();
        if (widths.Count == 0 || widths[^1] != dSae) widths.Add(dSae);
        return widths;
    }

    public override void Validate(int? dIn)
    {
        base.Validate(dIn);
        int dSae = DSaeBound(dIn);
        for (int i = 0; i < Groups.Count; i++)
            InvalidInputException.Require(Groups[i] >= 1 && Groups[i] <= dSae && (i == 0 || Groups[i] > Groups[i - 1]),
                $"{Named("groups")} must be increasing widths {UpTo(dSae)}, got {string.Join(",", Groups)}.");
    }

    // The widths are compared by value, so equal settings are equal configs.
    public bool Equals(MatryoshkaBatchTopKSaeConfig? other) => base.Equals(other) && Groups.SequenceEqual(other.Groups);

    public override int GetHashCode() => HashCode.Combine(base.GetHashCode(), Groups.Count);
}

internal sealed class MatryoshkaBatchTopKArchitecture : ThresholdedBatchTopKArchitecture<MatryoshkaBatchTopKSaeConfig>
{
    public override string Name => "matryoshka-batchtopk";
    protected override string SaeLensName => "matryoshka_batchtopk";

    protected override SparseAutoencoder Build(MatryoshkaBatchTopKSaeConfig config, int dIn, SaeTensors t) =>
        new MatryoshkaBatchTopKSae(config, dIn, t.WEnc, t.WDec, t.BEnc, t.BDec, t.Threshold!);
}
