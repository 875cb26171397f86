using SaeAlign.Core;
using SaeAlign.Data;
using static SaeAlign.Core.InputField;

namespace SaeAlign.Alignment;

/// <summary>The metric names `--metrics` accepts and the registry of their <see cref="IAlignmentMetric"/>s.</summary>
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

    /// <summary>Every metric, in the order help texts list them.</summary>
    public static readonly IReadOnlyList<IAlignmentMetric> Registered =
    [
        new SemiMatchingMetric(), new SoftMatchingMetric(), new OneToOneMatchingMetric(), new RidgeMetric(), new LinearCkaMetric(),
        new DebiasedCkaMetric(), new RsaMetric(RdmComparison.Pearson), new RsaMetric(RdmComparison.Spearman), new ProcrustesMetric(angle: false),
        new ProcrustesMetric(angle: true), new MutualKnnMetric(), new TripletMetric(),
    ];

    public static readonly IReadOnlyList<string> All = Registered.Select(m => m.Name).ToArray();

    /// <summary>The metric called <paramref name="name"/> (one of <see cref="All"/>).</summary>
    public static IAlignmentMetric Get(string name) =>
        Registered.FirstOrDefault(m => m.Name == name) ?? throw new InvalidInputException($"unknown metric '{name}'. Use any of: {string.Join(", ", All)}.");

    /// <summary>What the metrics named in <paramref name="names"/> need together.</summary>
    public static MetricNeeds NeedsOf(IEnumerable<string> names) => names.Aggregate(MetricNeeds.None, (needs, name) => needs | Get(name).Needs);

    /// <summary>What `saealign align` computes without --metrics (triplet is added when a triplet file is given).</summary>
    public static readonly IReadOnlyList<string> Defaults = [Semi, Soft, OneToOne, Ridge, Cka, Rsa, Procrustes, Mknn];

    /// <summary>Parses a comma-separated list, keeping the given order and dropping repeats; errors name <paramref name="field"/>.</summary>
    public static IReadOnlyList<string> Parse(string text, InputMessage? field = null)
    {
        field ??= Named("metrics");
        var names = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(n => n.ToLowerInvariant()).Distinct().ToArray();
        InvalidInputException.Require(names.Length > 0, $"{field} must name at least one metric: {string.Join(", ", All)}.");
        foreach (var name in names)
            InvalidInputException.Require(All.Contains(name), $"{field}: unknown metric '{name}'. Use any of: {string.Join(", ", All)}.");
        return names;
    }
}
