using Google.OrTools.Graph;

namespace SaeAlign.Alignment;

/// <summary>
/// Soft matching: the exact optimal transport plan P (row sums 1/a, column sums 1/b) minimising
/// Σ P_ij (1 - corr_fit_ij); score = Σ P_ij corr_test_ij. Solved as an integer min-cost flow (OR-tools):
/// source unit i supplies b units, target unit j takes a, so P = flow / (a b) and the optimal basic
/// solution is exact, not an entropic approximation. Symmetric.
/// </summary>
public static class SoftMatching
{
    public static SoftMatchingFit Fit(PairMoments train, CancellationToken ct = default) => Fit(train.Correlation(), ct);

    public static SoftMatchingFit Fit(Matrix correlation, CancellationToken ct = default)
    {
        int a = correlation.Rows, b = correlation.Columns;
        var flow = new MinCostFlow(a + b, a * b);
        for (int i = 0; i < a; i++)
        {
            ct.ThrowIfCancellationRequested();
            for (int j = 0; j < b; j++)
                flow.AddArcWithCapacityAndUnitCost(i, a + j, Math.Min(a, b), IntegerCost.Of(correlation[i, j]));
        }
        for (int i = 0; i < a; i++) flow.SetNodeSupply(i, b);
        for (int j = 0; j < b; j++) flow.SetNodeSupply(a + j, -a);
        var status = flow.Solve();
        if (status != MinCostFlow.Status.OPTIMAL)
            throw new InvalidOperationException($"The min-cost-flow solver returned {status} on a balanced transport problem.");
        var plan = new Matrix(a, b);
        double total = (double)a * b;
        for (int arc = 0; arc < a * b; arc++)
        {
            long f = flow.Flow(arc);
            if (f != 0) plan.Data[arc] = f / total;
        }
        return new SoftMatchingFit(plan);
    }
}

/// <summary>The transport plan, a x b, rows summing to 1/a and columns to 1/b.</summary>
public sealed record SoftMatchingFit(Matrix Plan) : IFittedMapping
{
    public double Score(PairMoments test) => Score(test.Correlation());

    public double Score(Matrix correlation)
    {
        double sum = 0;
        for (int k = 0; k < Plan.Data.Length; k++)
            if (Plan.Data[k] != 0) sum += Plan.Data[k] * correlation.Data[k];
        return sum;
    }
}

/// <summary>The "soft" metric: fitted and symmetric; exact on sparse codes through <see cref="CertifiedTransport"/>.</summary>
public sealed class SoftMatchingMetric : ISparseAlignmentMetric
{
    public string Name => AlignmentMetric.Soft;
    public bool Fitted => true;
    public bool Directional => false;
    public MetricNeeds Needs => MetricNeeds.CrossMoments | MetricNeeds.Correlations;

    public MetricResult Score(DenseInputs inputs, CancellationToken ct) =>
        inputs.PerFold(this, f => SoftMatching.Fit(inputs.FitCorrelation(f), ct).Score(inputs.TestCorrelation(f)));

    public MetricResult Score(SparseInputs inputs, CancellationToken ct) =>
        inputs.PerFold(this, f => CertifiedTransport.SoftPlan(inputs.LiveX.Length, inputs.LiveY.Length, inputs.FitRows(f, ct), ct: ct)
            .Score((s, t) => inputs.TestCorrelation(f, s, t)));
}
