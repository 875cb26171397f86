namespace SaeAlign.Alignment;

/// <summary>
/// Semi-matching (source -> target): each target unit j takes the source unit i*(j) = argmax_i corr_fit(x_i, y_j);
/// several targets may share a source unit. Score = mean_j corr_test(x_i*(j), y_j).
/// </summary>
public static class SemiMatching
{
    public static SemiMatchingFit Fit(PairMoments train) => Fit(train.Correlation());

    /// <summary>
    /// Correlations closer than this are a tie. Sources with the same activity on the fit rows (duplicate latents, a
    /// latent and its copy) have equal correlations that rounding makes differ by about 1e-15, differently on every
    /// route; a tolerance far above rounding and far below any real difference makes ties go to the lowest index.
    /// </summary>
    internal const double Tie = 1e-12;

    /// <summary>Ties (within <see cref="Tie"/>) go to the lowest source index, as numpy's argmax does for exact ties.</summary>
    public static SemiMatchingFit Fit(Matrix correlation)
    {
        var source = new int[correlation.Columns];
        for (int j = 0; j < correlation.Columns; j++)
        {
            int best = 0;
            for (int i = 1; i < correlation.Rows; i++)
                if (correlation[i, j] > correlation[best, j] + Tie) best = i;
            source[j] = best;
        }
        return new SemiMatchingFit(source);
    }

    /// <summary>
    /// The same argmax from sparse moments, exactly, without the a x b matrix. A pair never active together on
    /// the fit rows has correlation −n·μ_i·μ_j / (σ_i σ_j): for a target j with μ_j &gt; 0 the best such source is the one
    /// with the smallest μ_i/σ_i (largest when μ_j &lt; 0; any when μ_j = 0, so the lowest index). So each target
    /// compares its co-active sources with the first source, in that order, that is not co-active with it.
    /// Targets are independent, so they run in parallel, each with its own cross sums; the result is the same on any
    /// thread count. Positions in <paramref name="sources"/> and <paramref name="targets"/> (the live units) index the result.
    /// </summary>
    public static SemiMatchingFit Fit(SparseMoments moments, SparseMoments.RowSet fit, int[] sources, int[] targets, CancellationToken ct = default)
    {
        int a = sources.Length, b = targets.Length;
        var bestSource = new int[b];

        // Sources by μ/σ on the fit rows, ties by position: ascending for μ_j > 0, descending for μ_j < 0.
        var key = new double[a];
        for (int s = 0; s < a; s++) key[s] = fit.ScaleX[sources[s]] > 0 ? fit.MeanX[sources[s]] / fit.ScaleX[sources[s]] : 0;
        var ascending = Enumerable.Range(0, a).OrderBy(s => key[s]).ThenBy(s => s).ToArray();
        var descending = Enumerable.Range(0, a).OrderByDescending(s => key[s]).ThenBy(s => s).ToArray();
        var byPosition = Enumerable.Range(0, a).ToArray();
        var sourcePosition = Positions(sources, moments.SourceUnits);

        Parallel.For(0, b, new ParallelOptions { CancellationToken = ct }, moments.ForTarget, (t, _, cross) =>
        {
            int j = targets[t];
            moments.TargetCross(j, cross);
            double best = double.NegativeInfinity;
            int chosen = int.MaxValue;
            // Co-active sources in position order, as the dense argmax meets them: a scan when most sources are
            // co-active (a dense source set), else the few sorted.
            if ((long)cross.Count * 8 >= a)
            {
                for (int s = 0; s < a; s++)
                    if (cross.IsCoActive(sources[s])) Offer(fit.Correlation(sources[s], j, fit.Sum(cross, sources[s])), s, ref best, ref chosen);
            }
            else
            {
                var positions = new List<int>(cross.Count);
                foreach (int i in cross.CoActive)
                    if (sourcePosition[i] >= 0) positions.Add(sourcePosition[i]);
                positions.Sort();
                foreach (int s in positions) Offer(fit.Correlation(sources[s], j, fit.Sum(cross, sources[s])), s, ref best, ref chosen);
            }

            double mean = fit.MeanY[j];
            var order = fit.ScaleY[j] == 0 || mean == 0 ? byPosition : mean > 0 ? ascending : descending;
            // The first free source in the order has the best closed-form value; later free sources whose value rounds
            // to the same number are ties, which go to the lowest position as on the dense path.
            double first = double.NaN;
            foreach (int s in order)
            {
                if (cross.IsCoActive(sources[s])) continue;
                double value = fit.Correlation(sources[s], j, 0);
                if (double.IsNaN(first)) first = value;
                else if (Math.Abs(value - first) > Tie) break;
                Offer(value, s, ref best, ref chosen);
            }
            bestSource[t] = chosen;
            return cross;
        }, moments.Return);
        return new SemiMatchingFit(bestSource);

        static void Offer(double value, int s, ref double best, ref int chosen)
        {
            if (value > best + Tie || (value >= best - Tie && s < chosen))
            {
                best = value;
                chosen = s;
            }
        }
    }

    /// <summary>Position of each unit in <paramref name="live"/>, −1 for units not in it.</summary>
    internal static int[] Positions(int[] live, int units)
    {
        var position = new int[units];
        Array.Fill(position, -1);
        for (int k = 0; k < live.Length; k++) position[live[k]] = k;
        return position;
    }
}

/// <summary>The source unit chosen for each target unit.</summary>
public sealed record SemiMatchingFit(int[] SourceOfTarget) : IFittedMapping
{
    public double Score(PairMoments test) => Score(test.Correlation());

    public double Score(Matrix correlation)
    {
        double sum = 0;
        for (int j = 0; j < SourceOfTarget.Length; j++) sum += correlation[SourceOfTarget[j], j];
        return sum / SourceOfTarget.Length;
    }

    /// <summary>The score on sparse moments' rows; positions index <paramref name="sources"/> and <paramref name="targets"/>.</summary>
    public double Score(SparseMoments.RowSet test, int[] sources, int[] targets)
    {
        double sum = 0;
        for (int t = 0; t < SourceOfTarget.Length; t++) sum += test.Correlation(sources[SourceOfTarget[t]], targets[t]);
        return sum / SourceOfTarget.Length;
    }
}

/// <summary>The "semi" metric: fitted and directional; exact on sparse codes at any width.</summary>
public sealed class SemiMatchingMetric : ISparseAlignmentMetric
{
    public string Name => AlignmentMetric.Semi;
    public bool Fitted => true;
    public bool Directional => true;
    public MetricNeeds Needs => MetricNeeds.CrossMoments | MetricNeeds.Correlations;

    public MetricResult Score(DenseInputs inputs, CancellationToken ct) =>
        inputs.PerFold(this, f => SemiMatching.Fit(inputs.FitCorrelation(f)).Score(inputs.TestCorrelation(f)));

    public MetricResult Score(SparseInputs inputs, CancellationToken ct) =>
        inputs.PerFold(this, f => SemiMatching.Fit(inputs.Moments, inputs.Fit(f), inputs.LiveX, inputs.LiveY, ct).Score(inputs.Test(f), inputs.LiveX, inputs.LiveY));
}
