using SaeAlign.Core;

namespace SaeAlign.Alignment.Tests;

/// <summary>
/// The sparse route (sparse moments, exact semi-matching, certified transport) gives the dense route's scores to
/// 1e-9 on codes with what real SAE codes have: dead latents, latents that always fire with one value, ties and
/// duplicate columns, and dense ReLU neurons on one side.
/// </summary>
public class SparsePathTests
{
    /// <summary>
    /// TopK-like codes: k of <paramref name="latents"/> fire per row, a shared sparse cause makes pairs correlate; the
    /// last three latents are dead, constant, and a copy of latent 0.
    /// </summary>
    private static ActivationSet Codes(int rows, int latents, int k, int seed, int sharedSeed = 99)
    {
        var random = new Random(seed);
        var shared = new Random(sharedSeed);
        var values = new float[rows * latents];
        for (int r = 0; r < rows; r++)
        {
            int cause = shared.Next(latents);
            values[r * latents + (cause * 7 + seed) % (latents - 3)] = 1 + (float)shared.NextDouble();
            for (int e = 1; e < k; e++) values[r * latents + random.Next(latents - 3)] = (float)random.NextDouble();
            // latents - 3 never fires (dead); latents - 2 always fires with one value (constant); latents - 1 duplicates latent 0.
            values[r * latents + latents - 2] = 0.5f;
            values[r * latents + latents - 1] = values[r * latents];
        }
        return new ActivationSet(values, rows, latents);
    }

    private static ActivationSet Relu(ActivationSet set)
    {
        var values = set.Values.Select(v => Math.Max(0f, v)).ToArray();
        return new ActivationSet(values, set.Rows, set.Columns);
    }

    private static void AssertSameAsDense(ActivationSet x, ActivationSet y, string cv, params string[] metrics)
    {
        var options = new AlignmentOptions { Metrics = metrics, Cv = CrossValidation.Parse(cv) };
        var dense = AlignmentRunner.Run(new InMemoryPairedRows(x, y), options);
        var sparse = SparseAlignmentRunner.Run(SparseCodes.FromDense(x), SparseCodes.FromDense(y), options);
        Assert.That(sparse.DroppedSourceUnits, Is.EqualTo(dense.DroppedSourceUnits));
        Assert.That(sparse.DroppedTargetUnits, Is.EqualTo(dense.DroppedTargetUnits));
        Assert.That(sparse.Metrics.Select(m => m.Metric), Is.EqualTo(dense.Metrics.Select(m => m.Metric)));
        for (int m = 0; m < dense.Metrics.Count; m++)
        {
            Assert.That(sparse.Metrics[m].FoldScores, Is.EqualTo(dense.Metrics[m].FoldScores).Within(1e-9), dense.Metrics[m].Metric);
            Assert.That(sparse.Metrics[m].Protocol, Is.EqualTo(dense.Metrics[m].Protocol));
            Assert.That(sparse.Metrics[m].Details.Keys, Is.EquivalentTo(dense.Metrics[m].Details.Keys));
            foreach (var (key, value) in dense.Metrics[m].Details)
                Assert.That(sparse.Metrics[m].Details[key], Is.EqualTo(value).Within(1e-9 * Math.Max(1, Math.Abs(value))), key);
        }
    }

    [TestCase("kfold:5:42", 600, 40, 30)]
    [TestCase("none", 600, 40, 30)]
    // Wide and sparse: most pairs never fire together, so the argmax comes from the closed form; few rows make many
    // latents fire identically on a fit set (ties).
    [TestCase("kfold:5:42", 300, 160, 120)]
    [TestCase("kfold:3:1", 200, 300, 250)]
    public void SaeToSaeSemiMatchingEqualsTheDenseRoute(string cv, int rows, int a, int b) =>
        AssertSameAsDense(Codes(rows, a, 3, 1), Codes(rows, b, 3, 2), cv, "semi");

    /// <summary>
    /// Transport plans are compared by their test scores where the optimum is unique: enough rows that latents differ
    /// on every fit set. With ties many plans are optimal and each solver may return another; that they reach the same
    /// optimum there is CertifiedTransportTests' subject.
    /// </summary>
    [TestCase("kfold:5:42", 3000, 40, 30)]
    [TestCase("none", 3000, 60, 50)]
    public void SaeToSaeTransportEqualsTheDenseRoute(string cv, int rows, int a, int b) =>
        AssertSameAsDense(Drop(Codes(rows, a, 4, 1), a - 1), Drop(Codes(rows, b, 4, 2), b - 1), cv, "semi", "soft", "one-to-one");

    /// <summary>The set without column <paramref name="column"/> (the duplicate, whose ties make the optimum not unique).</summary>
    private static ActivationSet Drop(ActivationSet set, int column)
    {
        var keep = Enumerable.Range(0, set.Columns).Where(c => c != column).ToArray();
        var values = new float[set.Rows * keep.Length];
        for (int r = 0; r < set.Rows; r++)
            for (int k = 0; k < keep.Length; k++) values[r * keep.Length + k] = set[r, keep[k]];
        return new ActivationSet(values, set.Rows, keep.Length);
    }

    [TestCase("kfold:3:7")]
    public void NeuronToSaeAndSaeToNeuronEqualTheDenseRoute(string cv)
    {
        var neurons = Relu(TestData.Gaussian(500, 12, 3));
        var codes = Codes(500, 48, 5, 4);
        AssertSameAsDense(neurons, codes, cv, "semi", "soft", "one-to-one");
        AssertSameAsDense(codes, neurons, cv, "semi", "soft", "one-to-one");
    }

    [Test]
    public void MetricsWithoutASparseRouteTakeTheDenseOneAndKeepTheirOrder() =>
        AssertSameAsDense(Codes(400, 20, 3, 5), Codes(400, 16, 3, 6), "kfold:4:1", "ridge", "semi", "cka", "procrustes", "soft");

    [TestCase("kfold:5:42", 300, 160, 120)]
    [TestCase("none", 500, 40, 30)]
    public void CkaFromSparseMomentsEqualsTheDenseRoute(string cv, int rows, int a, int b)
    {
        AssertSameAsDense(Codes(rows, a, 3, 1), Codes(rows, b, 3, 2), cv, "cka");
        var neurons = Relu(TestData.Gaussian(rows, 12, 3));
        AssertSameAsDense(neurons, Codes(rows, b, 3, 2), cv, "cka");
    }

    /// <summary>
    /// Every route of the sparse ridge: primal on dense sources with targets fewer than the basis (predictions) or not
    /// (the quadratic form), primal on sparse sources (W = V diag(γ) C), dual (sources outnumber the fit rows) with few
    /// targets or with targets outnumbering the fit rows (the target Gram); dense neurons on either side; the chosen
    /// alphas are compared through the details.
    /// </summary>
    [TestCase("kfold:5:42", 600, 40, 30)]
    [TestCase("kfold:5:42", 600, 30, 40)]
    [TestCase("kfold:3:1", 300, 200, 60)]
    [TestCase("kfold:5:42", 2000, 150, 100)]
    [TestCase("none", 500, 40, 30)]
    [TestCase("none", 80, 60, 200)]
    [TestCase("none", 150, 160, 300)]
    [TestCase("none", 200, 220, 30)]
    public void RidgeOnSparseCodesEqualsTheDenseRoute(string cv, int rows, int a, int b)
    {
        AssertRidgeSameAsDense(Codes(rows, a, 4, 1), Codes(rows, b, 4, 2), cv);
        var neurons = Relu(TestData.Gaussian(rows, 12, 3));
        AssertRidgeSameAsDense(neurons, Codes(rows, b, 4, 2), cv);
        AssertRidgeSameAsDense(Codes(rows, a, 4, 1), neurons, cv);
    }

    /// <summary>Ridge's sparse route, whichever route codes of this shape would take on their own.</summary>
    private static MetricResult SparseRidgeOf(SparseCodes x, SparseCodes y, string cv, SparseRidge.Form form = SparseRidge.Form.Auto)
    {
        var options = new AlignmentOptions { Metrics = ["ridge"], Cv = CrossValidation.Parse(cv) };
        var folds = options.Cv.Assign(x.Rows);
        var moments = SparseMoments.Collect(x, y, folds, options.Cv.Folds, default);
        var inputs = new SparseInputs(options, x, y, moments, folds,
            AlignmentRunner.Live(moments.VaryingSource, "source"), AlignmentRunner.Live(moments.VaryingTarget, "target"));
        return ((RidgeMetric)AlignmentMetric.Get("ridge")).Score(inputs, form, default);
    }

    private static void AssertRidgeSameAsDense(ActivationSet x, ActivationSet y, string cv)
    {
        var dense = AlignmentRunner.Run(new InMemoryPairedRows(x, y), new AlignmentOptions { Metrics = ["ridge"], Cv = CrossValidation.Parse(cv) }).Metrics[0];
        var sparse = SparseRidgeOf(SparseCodes.FromDense(x), SparseCodes.FromDense(y), cv);
        Assert.That(sparse.FoldScores, Is.EqualTo(dense.FoldScores).Within(1e-9));
        Assert.That(sparse.Protocol, Is.EqualTo(dense.Protocol));
        Assert.That(sparse.Details, Is.EqualTo(dense.Details));
    }

    /// <summary>
    /// The dual (kernel) form and the primal give the same alphas and scores where both run. With more sources than
    /// fit rows under CV the leave-one-out picks alpha = 1e-8 (near interpolation), where the fit's condition number
    /// is about λ_max/alpha = 1e10: any two exact computations agree there to about 1e-8, not 1e-9.
    /// </summary>
    [TestCase("kfold:5:42", 600, 40, 30, 1e-9)]
    [TestCase("none", 80, 60, 200, 1e-9)]
    [TestCase("none", 150, 160, 300, 1e-9)]
    [TestCase("kfold:4:3", 150, 160, 120, 1e-7)]
    public void DualRidgeEqualsPrimalRidge(string cv, int rows, int a, int b, double tolerance)
    {
        var x = SparseCodes.FromDense(Codes(rows, a, 4, 1));
        var y = SparseCodes.FromDense(Codes(rows, b, 4, 2));
        var primal = SparseRidgeOf(x, y, cv, SparseRidge.Form.Primal);
        var dual = SparseRidgeOf(x, y, cv, SparseRidge.Form.Dual);
        Assert.That(dual.Details, Is.EqualTo(primal.Details));
        Assert.That(dual.FoldScores, Is.EqualTo(primal.FoldScores).Within(tolerance));
        Assert.That(primal.FoldScores, Has.All.InRange(-1.0, 1.0));
    }

    /// <summary>Codes with a thousand rows per unit and more take ridge's dense route, which streams the rows.</summary>
    [Test]
    public void RidgeTakesTheDenseRouteOnLongNarrowCodes()
    {
        var ridge = (ISparseAlignmentMetric)AlignmentMetric.Get("ridge");
        Assert.That(ridge.PrefersSparse(2_048_000, 32, 64), Is.False);
        Assert.That(ridge.PrefersSparse(20_000, 512, 8_192), Is.True);
        Assert.That(ridge.PrefersSparse(20_000, 512, 512), Is.True);
        Assert.That(((ISparseAlignmentMetric)AlignmentMetric.Get("semi")).PrefersSparse(2_048_000, 32, 64), Is.True);
    }

    [Test]
    public void NegativeMeansAndSignedValuesTakeTheOtherEndOfTheOrder()
    {
        // Signed sparse values: for a target with a negative mean the best never-co-active source is the largest μ/σ.
        var x = Codes(500, 25, 3, 8);
        var y = Codes(500, 20, 3, 9);
        var signed = new ActivationSet(y.Values.Select((v, i) => i % 3 == 0 ? -v : v).ToArray(), y.Rows, y.Columns);
        AssertSameAsDense(x, signed, "kfold:5:3", "semi", "soft", "one-to-one");
    }

    [Test]
    public void AMetricWhoseDenseRouteCannotFitIsRefusedBeforeAnyWork()
    {
        var x = SparseCodes.FromDense(Codes(300, 20, 3, 1));
        var options = new AlignmentOptions { Metrics = ["semi", "procrustes"], MemoryLimit = 10_000 };
        var error = Assert.Throws<InvalidInputException>(() => SparseAlignmentRunner.Run(x, x, options));
        Assert.That(error!.Message, Does.Contain("metrics procrustes").And.Contain("memory limit").And.Contain("semi, soft, one-to-one, ridge, cka run at any width"));
        // Semi alone has a sparse route and runs under the same limit.
        Assert.That(SparseAlignmentRunner.Run(x, x, options with { Metrics = ["semi"] }).Metrics[0].Score,
            Is.EqualTo(1).Within(1e-12));
    }

    /// <summary>
    /// Exact ridge at the paper's width fits 16 GB at 10,000 stimuli (the dual's 8,000 x 8,000 kernel per fold) and is
    /// refused before any work at 50,000, where the kernel alone is 12.8 GB.
    /// </summary>
    [Test]
    public void RidgeAtSaeWidthIsRefusedUpFrontOnlyWhenItsKernelCannotFit()
    {
        var options = new AlignmentOptions { Metrics = ["semi", "soft", "ridge"], MemoryLimit = 16_000_000_000 };
        Assert.DoesNotThrow(() => SparseAlignmentRunner.RequireFits(10_000, 65_536, 65_536, options, "sae->sae"));
        Assert.DoesNotThrow(() => SparseAlignmentRunner.RequireFits(20_000, 8_192, 8_192, options, "sae->sae"));
        var error = Assert.Throws<InvalidInputException>(() => SparseAlignmentRunner.RequireFits(50_000, 65_536, 65_536, options, "sae->sae"));
        Assert.That(error!.Message, Does.StartWith("sae->sae: metrics ridge on 50,000 stimuli x 65,536 source and 65,536 target units needs about")
            .And.Contain("over the memory limit of 16.0 GB"));
    }
}
