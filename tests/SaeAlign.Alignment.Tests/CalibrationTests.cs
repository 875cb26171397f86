using SaeAlign.Core;

namespace SaeAlign.Alignment.Tests;

/// <summary>
/// Permutation nulls and bootstrap intervals (README, "Calibration"): the resamplings keep every stimulus in its fold,
/// a null of independent data is centred on the score, a planted alignment gets the smallest p-value, and the
/// percentile interval covers the true score at about its nominal rate.
/// </summary>
public class CalibrationTests
{
    private static AlignmentOptions Options(string metrics, int nulls = 0, int bootstrap = 0, string cv = "kfold:5:3") => new()
    {
        Metrics = AlignmentMetric.Parse(metrics),
        Cv = CrossValidation.Parse(cv),
        NullPermutations = nulls,
        Bootstrap = bootstrap,
    };

    private static MetricResult Run(ActivationSet x, ActivationSet y, AlignmentOptions options, string metric) =>
        AlignmentRunner.Run(new InMemoryPairedRows(x, y), options).Metrics.Single(m => m.Metric == metric);

    [Test]
    public void ResamplesKeepEveryStimulusInItsFoldAndRepeatForTheSameReplicate()
    {
        var folds = new CrossValidation(5, 3).Assign(103);
        for (int r = 0; r < 3; r++)
        {
            var permutation = Resampling.Permutation(folds, 103, seed: 7, r);
            Assert.That(permutation.Order(), Is.EqualTo(Enumerable.Range(0, 103)), "a permutation");
            Assert.That(Enumerable.Range(0, 103).All(i => folds[permutation[i]] == folds[i]), Is.True, "within folds");
            Assert.That(permutation, Is.Not.EqualTo(Enumerable.Range(0, 103)));

            var drawn = Resampling.Bootstrap(folds, 103, seed: 7, r);
            Assert.That(Enumerable.Range(0, 103).All(i => folds[drawn[i]] == folds[i]), Is.True, "drawn within folds");
            Assert.That(drawn.Distinct().Count(), Is.LessThan(103), "with replacement");
            Assert.That(Resampling.Bootstrap(folds, 103, 7, r), Is.EqualTo(drawn));
        }
        Assert.That(Resampling.Permutation(folds, 103, 7, 0), Is.Not.EqualTo(Resampling.Permutation(folds, 103, 7, 1)));
        Assert.That(Resampling.Permutation([], 10, 7, 0).Order(), Is.EqualTo(Enumerable.Range(0, 10)), "without CV: one group");
    }

    [Test]
    public void SummaryFollowsItsDefinitions()
    {
        var c = ScoreCalibration.Of(0.5, [0.1, 0.2, 0.3, 0.6, double.NaN], [0.4, 0.45, 0.5, 0.55, 0.6], higherIsAligned: true)!;
        Assert.That(c.Permutations, Is.EqualTo(4), "NaN replicates are left out");
        Assert.That(c.NullMean, Is.EqualTo(0.3).Within(1e-12));
        Assert.That(c.NullSd, Is.EqualTo(Math.Sqrt((0.04 + 0.01 + 0 + 0.09) / 3)).Within(1e-12));
        Assert.That(c.Calibrated, Is.EqualTo(0.2).Within(1e-12));
        Assert.That(c.PValue, Is.EqualTo(2.0 / 5), "(1 + one null at least as high) / (1 + 4)");
        // numpy.percentile([0.4, 0.45, 0.5, 0.55, 0.6], [2.5, 97.5]) = [0.405, 0.595]
        Assert.That(c.IntervalLow, Is.EqualTo(0.405).Within(1e-12));
        Assert.That(c.IntervalHigh, Is.EqualTo(0.595).Within(1e-12));
        Assert.That(ScoreCalibration.Of(0.5, [0.6, 0.7], [], higherIsAligned: false)!.PValue, Is.EqualTo(1.0 / 3), "a distance: nulls as low count");
        Assert.That(ScoreCalibration.Of(0.5, [], [], true), Is.Null);
    }

    [Test]
    public void NullOfIndependentDataIsCentredOnTheScore()
    {
        var calibrated = new List<double>();
        var p = new List<double>();
        for (int d = 0; d < 30; d++)
        {
            var c = Run(TestData.Gaussian(300, 4, 100 + d), TestData.Gaussian(300, 4, 200 + d), Options("semi", nulls: 40), "semi").Calibration!;
            Assert.That(c.Permutations, Is.EqualTo(40));
            calibrated.Add(c.Calibrated!.Value);
            p.Add(c.PValue!.Value);
        }
        Assert.That(calibrated.Average(), Is.EqualTo(0).Within(0.02));
        Assert.That(p.Count(x => x < 0.05), Is.LessThanOrEqualTo(6), "p < 0.05 about 5% of the time under the null");
        Assert.That(p.Count(x => x > 0.5), Is.GreaterThanOrEqualTo(8), "and p > 0.5 about half of the time");
    }

    [TestCase("semi")]
    [TestCase("ridge")]
    [TestCase("cka")]
    [TestCase("procrustes-angle")]
    public void PlantedAlignmentGetsTheSmallestPValue(string metric)
    {
        var x = TestData.Gaussian(300, 4, 1);
        var observed = Run(x, TestData.Related(x, 4, noise: 0.5, seed: 2), Options(metric, nulls: 20), metric);
        var c = observed.Calibration!;
        Assert.That(c.PValue, Is.EqualTo(1.0 / 21), "no null replicate reaches the planted score");
        Assert.That(Math.Abs(c.Calibrated!.Value), Is.GreaterThan(5 * c.NullSd!.Value));
        Assert.That(observed.NullScores, Has.Count.EqualTo(20));
    }

    [Test]
    public void SparseAndDenseRoutesCalibrateAlike()
    {
        var x = TestData.Gaussian(400, 6, 5);
        var y = TestData.Related(x, 5, noise: 1.5, seed: 6);
        var relu = (ActivationSet s) => new ActivationSet(s.Values.Select(v => Math.Max(0f, v)).ToArray(), s.Rows, s.Columns);
        var (rx, ry) = (relu(x), relu(y));
        var options = Options("semi,soft,cka", nulls: 5, bootstrap: 5);
        var dense = AlignmentRunner.Run(new InMemoryPairedRows(rx, ry), options);
        var sparse = SparseAlignmentRunner.Run(SparseCodes.FromDense(rx), SparseCodes.FromDense(ry), options);
        for (int m = 0; m < 3; m++)
        {
            Assert.That(sparse.Metrics[m].NullScores, Is.EqualTo(dense.Metrics[m].NullScores).Within(1e-9));
            Assert.That(sparse.Metrics[m].BootstrapScores, Is.EqualTo(dense.Metrics[m].BootstrapScores).Within(1e-9));
        }
        Assert.That(dense.Metrics[0].BootstrapScores.Distinct().Count(), Is.EqualTo(5), "each replicate resamples differently");
    }

    /// <summary>
    /// Two source units each driving one target unit with correlation ρ = 0.6 (cross pairs independent): the population
    /// semi-matching score is ρ. Over 60 data sets the 95% interval covers it about 95% of the time (binomial SD 0.03).
    /// </summary>
    [Test]
    public void IntervalCoversTheTrueScoreAtItsNominalRate()
    {
        const double rho = 0.6;
        int covered = 0, sets = 60;
        double width = 0;
        for (int d = 0; d < sets; d++)
        {
            var x = TestData.Gaussian(200, 2, 1000 + d);
            var noise = TestData.Gaussian(200, 2, 5000 + d);
            var y = new ActivationSet(x.Values.Select((v, i) => (float)(rho * v + Math.Sqrt(1 - rho * rho) * noise.Values[i])).ToArray(), 200, 2);
            var c = Run(x, y, Options("semi", bootstrap: 100, cv: $"kfold:5:{d}"), "semi").Calibration!;
            if (c.IntervalLow <= rho && rho <= c.IntervalHigh) covered++;
            width += (c.IntervalHigh!.Value - c.IntervalLow!.Value) / sets;
        }
        Assert.That((double)covered / sets, Is.InRange(0.85, 1.0));
        // Not covering by being wide: the mean of two test correlations over 200 rows has SE about (1 − ρ²)/√400 = 0.032,
        // a 95% width of about 0.125.
        Assert.That(width, Is.InRange(0.08, 0.18));
    }

    /// <summary>
    /// The moment metrics' null replicates come from recomputed cross products (MomentNull), not a re-run: each equals
    /// the protocol run on the permuted rows, on both routes, with dead and constant units present.
    /// </summary>
    [Test]
    public void NullFromMomentsEqualsTheProtocolOnPermutedRows()
    {
        var x = TestData.Gaussian(360, 6, 11);
        var y = TestData.Related(x, 5, noise: 2.0, seed: 12);
        // A dead and a constant unit on each side.
        x = new ActivationSet(x.Values.Select((v, i) => i % 6 == 4 ? 0f : i % 6 == 5 ? 0.5f : Math.Max(0f, v)).ToArray(), x.Rows, 6);
        y = new ActivationSet(y.Values.Select((v, i) => i % 5 == 4 ? 0f : Math.Max(0f, v)).ToArray(), y.Rows, 5);
        var options = Options("semi,soft,one-to-one,cka,procrustes,procrustes-angle,ridge", nulls: 4);
        var folds = options.Cv.Assign(x.Rows);
        var dense = AlignmentRunner.Run(new InMemoryPairedRows(x, y), options);
        var sparse = SparseAlignmentRunner.Run(SparseCodes.FromDense(x), SparseCodes.FromDense(y), options);
        for (int r = 0; r < 4; r++)
        {
            var permuted = AlignmentRunner.Run(new InMemoryPairedRows(x, y.Gather(Resampling.Permutation(folds, x.Rows, options.Seed, r)), compareStimuli: false),
                options with { NullPermutations = 0 });
            foreach (var (report, route) in new[] { (dense, "dense"), (sparse, "sparse") })
                for (int m = 0; m < permuted.Metrics.Count; m++)
                    Assert.That(report.Metrics[m].NullScores[r], Is.EqualTo(permuted.Metrics[m].Score).Within(1e-9), $"{route} {permuted.Metrics[m].Metric} replicate {r}");
        }
    }

    /// <summary>
    /// k-sparse codes take the entry-by-entry products (cross products, ridge's S and G y): sparse against sparse, dense
    /// neurons against codes and codes against neurons, each replicate equals the protocol run on the permuted rows.
    /// </summary>
    [TestCase("codes", "codes")]
    [TestCase("neurons", "codes")]
    [TestCase("codes", "neurons")]
    public void NullsOfSparseCodesEqualTheProtocolOnPermutedRows(string sourceKind, string targetKind)
    {
        const int rows = 600;
        var neurons = TestData.Gaussian(rows, 5, 41);
        // Codes that fire 3 of 24 latents a row, on the units a shared signal makes largest, with one dead latent and
        // three rare ones (one row each: that row's leverage is near 1 in the fits that hold it, so ridge sums its error
        // directly; leaving it out would let the smallest alphas win).
        SparseCodes Codes(int seed)
        {
            var random = new Random(seed);
            var builder = new SparseCodes.Builder(24);
            for (int r = 0; r < rows; r++)
            {
                var drive = Enumerable.Range(0, 24).Select(u => u >= 20 ? double.MinValue : neurons.Row(r)[u % 5] * (u % 3 - 1) + random.NextDouble()).ToArray();
                var top = Enumerable.Range(0, 24).OrderByDescending(u => drive[u]).Take(3).ToList();
                var values = top.Select(u => (float)(0.2 + Math.Abs(drive[u]))).ToList();
                if (Array.IndexOf([5, 300, 450], r) is var rare and >= 0)
                {
                    top.Add(20 + rare);
                    values.Add(5f);
                }
                var order = Enumerable.Range(0, top.Count).OrderBy(e => top[e]).ToArray();
                builder.AddRow(order.Select(e => top[e]).ToArray(), order.Select(e => values[e]).ToArray());
            }
            return builder.Build();
        }
        var source = sourceKind == "codes" ? Codes(42) : SparseCodes.FromDense(neurons);
        var target = targetKind == "codes" ? Codes(43) : SparseCodes.FromDense(TestData.Related(neurons, 4, noise: 1.0, seed: 44));
        var options = Options("semi,soft,cka,ridge", nulls: 3);
        var report = SparseAlignmentRunner.Run(source, target, options);
        for (int r = 0; r < 3; r++)
        {
            // The moment nulls score on the dense route (whose scores the sparse route's equal, but for soft where the
            // transport plan is not unique), so the reference is the dense protocol on the permuted rows.
            var permuted = AlignmentRunner.Run(new InMemoryPairedRows(source.ToDense(),
                target.Gather(Resampling.Permutation(options.Cv.Assign(rows), rows, options.Seed, r)).ToDense(), compareStimuli: false), options with { NullPermutations = 0 });
            for (int m = 0; m < permuted.Metrics.Count; m++)
                Assert.That(report.Metrics[m].NullScores[r], Is.EqualTo(permuted.Metrics[m].Score).Within(1e-9), $"{permuted.Metrics[m].Metric} replicate {r}");
        }
    }

    /// <summary>Few fitting rows per source (ridge's decomposition is not used there) and no CV: nulls still equal the re-run.</summary>
    [TestCase(40, 12, "kfold:5:3")]
    [TestCase(200, 5, "none")]
    public void NullsEqualTheProtocolOnPermutedRowsAtAnyShape(int rows, int units, string cv)
    {
        var x = TestData.Gaussian(rows, units, 21);
        var y = TestData.Related(x, units, noise: 1.0, seed: 22);
        var options = Options("semi,ridge,cka", nulls: 3, cv: cv);
        var report = AlignmentRunner.Run(new InMemoryPairedRows(x, y), options);
        for (int r = 0; r < 3; r++)
        {
            var permuted = AlignmentRunner.Run(new InMemoryPairedRows(x, y.Gather(Resampling.Permutation(options.Cv.Assign(rows), rows, options.Seed, r)), compareStimuli: false),
                options with { NullPermutations = 0 });
            for (int m = 0; m < 3; m++)
                Assert.That(report.Metrics[m].NullScores[r], Is.EqualTo(permuted.Metrics[m].Score).Within(1e-9), $"{permuted.Metrics[m].Metric} replicate {r}");
        }
    }

    [Test]
    public void RowWiseMetricsGetNoBootstrapInterval()
    {
        var x = TestData.Gaussian(120, 4, 31);
        var report = AlignmentRunner.Run(new InMemoryPairedRows(x, TestData.Related(x, 4, 1.0, 32)), Options("semi,rsa,mknn", bootstrap: 3));
        Assert.That(report.Metrics.Select(m => m.BootstrapScores.Count), Is.EqualTo(new[] { 3, 0, 0 }), "resampled copies would count as perfect neighbours");
    }
}
