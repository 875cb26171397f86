using SaeAlign.Core;

namespace SaeAlign.Alignment;

/// <summary>The metric names `--metrics` accepts, and which of them fit a mapping (and so follow --cv).</summary>
public static class AlignmentMetric
{
    public const string Semi = "semi";
    public const string Soft = "soft";
    public const string OneToOne = "one-to-one";
    public const string Ridge = "ridge";
    public const string Cka = "cka";
    public const string CkaDebiased = "cka-debiased";
    public const string Rsa = "rsa";
    public const string RsaSpearman = "rsa-spearman";
    public const string Procrustes = "procrustes";
    public const string ProcrustesAngle = "procrustes-angle";
    public const string Mknn = "mknn";
    public const string Triplet = "triplet";

    public static readonly IReadOnlyList<string> All =
        [Semi, Soft, OneToOne, Ridge, Cka, CkaDebiased, Rsa, RsaSpearman, Procrustes, ProcrustesAngle, Mknn, Triplet];

    /// <summary>What `saealign align` computes without --metrics (triplet is added when a triplet file is given).</summary>
    public static readonly IReadOnlyList<string> Defaults = [Semi, Soft, OneToOne, Ridge, Cka, Rsa, Procrustes, Mknn];

    /// <summary>Metrics that learn a mapping on fitting rows; the others have nothing to fit and use all (or sampled) rows.</summary>
    public static bool IsFitted(string metric) => metric is Semi or Soft or OneToOne or Ridge or Procrustes or ProcrustesAngle;

    /// <summary>Directional metrics map source -> target; the others are symmetric.</summary>
    public static bool IsDirectional(string metric) => metric is Semi or Ridge;

    /// <summary>Parses a comma-separated list, keeping the given order and dropping repeats; errors name <paramref name="option"/>.</summary>
    public static IReadOnlyList<string> Parse(string text, string option = "--metrics")
    {
        var names = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(n => n.ToLowerInvariant()).Distinct().ToArray();
        InvalidInputException.Require(names.Length > 0, $"{option} must name at least one metric: {string.Join(", ", All)}.");
        foreach (var name in names)
            InvalidInputException.Require(All.Contains(name), $"{option}: unknown metric '{name}'. Use any of: {string.Join(", ", All)}.");
        return names;
    }
}
