using Google.OrTools.Graph;

namespace SaeAlign.Alignment;

/// <summary>
/// One-to-one matching: the maximum-weight matching of min(a, b) source/target pairs on corr_fit (exact,
/// OR-tools' linear sum assignment; the smaller side is padded with zero-cost dummies, which leaves the
/// optimum over real pairs unchanged). Score = mean corr_test over the matched pairs. Symmetric.
/// </summary>
public static class OneToOneMatching
{
    public static OneToOneFit Fit(PairMoments train) => Fit(train.Correlation());

    public static OneToOneFit Fit(Matrix correlation)
    {
        int a = correlation.Rows, b = correlation.Columns, n = Math.Max(a, b);
        var assignment = new LinearSumAssignment();
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                assignment.AddArcWithCost(i, j, i < a && j < b ? IntegerCost.Of(correlation[i, j]) : 0);
        var status = assignment.Solve();
        if (status != LinearSumAssignment.Status.OPTIMAL)
            throw new InvalidOperationException($"The assignment solver returned {status} on a complete bipartite graph.");
        var pairs = new List<(int Source, int Target)>();
        for (int i = 0; i < a; i++)
        {
            int j = assignment.RightMate(i);
            if (j < b) pairs.Add((i, j));
        }
        return new OneToOneFit(pairs);
    }
}

/// <summary>The matched (source, target) pairs.</summary>
public sealed record OneToOneFit(IReadOnlyList<(int Source, int Target)> Pairs) : IFittedMapping
{
    public double Score(PairMoments test) => Score(test.Correlation());

    public double Score(Matrix correlation) => Pairs.Average(p => correlation[p.Source, p.Target]);
}

/// <summary>
/// The exact solvers take integer costs: 1 - corr in [0, 2] scaled by 1e9 and rounded, so the plan found is
/// optimal for corr to within 5e-10 per pair, below float32 input precision, with ample room under the
/// solvers' int64 overflow checks at thousands of units.
/// </summary>
internal static class IntegerCost
{
    public const double Scale = 1e9;

    public static long Of(double correlation) => (long)Math.Round((1 - correlation) * Scale);
}

/// <summary>The "one-to-one" metric: fitted and symmetric; exact on sparse codes through <see cref="CertifiedTransport"/>.</summary>
public sealed class OneToOneMatchingMetric : ISparseAlignmentMetric
{
    public string Name => AlignmentMetric.OneToOne;
    public bool Fitted => true;
    public bool Directional => false;
    public MetricNeeds Needs => MetricNeeds.CrossMoments | MetricNeeds.Correlations;

    public MetricResult Score(DenseInputs inputs, CancellationToken ct) =>
        inputs.PerFold(this, f => OneToOneMatching.Fit(inputs.FitCorrelation(f)).Score(inputs.TestCorrelation(f)));

    public MetricResult Score(SparseInputs inputs, CancellationToken ct) =>
        inputs.PerFold(this, f => CertifiedTransport.OneToOnePairs(inputs.LiveX.Length, inputs.LiveY.Length, inputs.FitRows(f, ct), ct: ct)
            .Pairs.Average(p => inputs.TestCorrelation(f, p.Source, p.Target)));
}
