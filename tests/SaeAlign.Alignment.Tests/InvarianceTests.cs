using SaeAlign.Alignment;
using SaeAlign.Core;

namespace SaeAlign.Alignment.Tests;

/// <summary>The invariances the README states ("Concepts": metrics), and the scores of identical and of independent sets.</summary>
public class InvarianceTests
{
    private static readonly ActivationSet Source = TestData.Gaussian(400, 7, 11);
    private static readonly ActivationSet Target = TestData.Related(Source, 6, 1.0, 12);

    [TestCase("none")]
    [TestCase("kfold:4:3")]
    public void MatchingsIgnoreUnitPermutationAndPositiveScaling(string cv)
    {
        var baseline = TestData.Run(Source, Target, "semi,soft,one-to-one", cv);
        var permuted = TestData.Run(
            TestData.PermuteAndScale(Source, [3, 0, 6, 1, 5, 2, 4], [0.5f, 2f, 8f, 0.25f, 1f, 3f, 0.125f]),
            TestData.PermuteAndScale(Target, [5, 4, 3, 2, 1, 0], [4f, 0.5f, 2f, 1f, 0.25f, 16f]), "semi,soft,one-to-one", cv);
        foreach (var metric in new[] { "semi", "soft", "one-to-one" })
            Assert.That(permuted.Score(metric), Is.EqualTo(baseline.Score(metric)).Within(1e-6), metric);
    }

    [Test]
    public void CkaIgnoresOrthogonalTransformsAndIsotropicScaling()
    {
        // An orthogonal Q from the eigenvectors of a random symmetric matrix.
        var random = TestData.ToMatrix(TestData.Gaussian(7, 7, 5));
        var symmetric = new Matrix(7, 7);
        for (int i = 0; i < 7; i++) for (int j = 0; j < 7; j++) symmetric[i, j] = random[i, j] + random[j, i];
        var (_, q) = Dense.SymmetricEigen(symmetric);
        var rotated = Dense.Multiply(TestData.ToMatrix(Source), q);
        var transformed = new ActivationSet(rotated.Data.Select(v => (float)(3.5 * v)).ToArray(), Source.Rows, 7);
        var baseline = TestData.Run(Source, Target, "cka,cka-debiased");
        var moved = TestData.Run(transformed, Target, "cka,cka-debiased");
        Assert.That(moved.Score("cka"), Is.EqualTo(baseline.Score("cka")).Within(1e-6));
        Assert.That(moved.Score("cka-debiased"), Is.EqualTo(baseline.Score("cka-debiased")).Within(1e-6));
    }

    [Test]
    public void ASetAgainstItselfScoresOne()
    {
        var report = TestData.Run(Source, Source, "semi,soft,one-to-one,cka,cka-debiased,rsa,rsa-spearman,procrustes,mknn,ridge");
        foreach (var metric in new[] { "semi", "soft", "one-to-one", "cka", "cka-debiased", "rsa", "rsa-spearman", "procrustes", "mknn" })
            Assert.That(report.Score(metric), Is.EqualTo(1).Within(1e-9), metric);
        Assert.That(report.Score("ridge"), Is.EqualTo(1).Within(1e-6));
        Assert.That(TestData.Run(Source, Source, "procrustes-angle").Score("procrustes-angle"), Is.EqualTo(0).Within(1e-4));
    }

    [Test]
    public void IndependentSetsScoreNearZero()
    {
        var x = TestData.Gaussian(4000, 8, 21);
        var y = TestData.Gaussian(4000, 8, 22);
        var report = TestData.Run(x, y, "semi,cka,rsa", "kfold:5:1");
        // Held-out correlations of independent units average 0 (SEM ~ 1/sqrt(N)); CKA's bias is about a·b/N.
        Assert.That(report.Score("semi"), Is.EqualTo(0).Within(0.03));
        Assert.That(report.Score("cka"), Is.LessThan(0.01));
        Assert.That(report.Score("rsa"), Is.EqualTo(0).Within(0.02));
    }

    [Test]
    public void ProcrustesIsInvariantToRotatingEitherSet()
    {
        var qSource = TestData.ToMatrix(TestData.Gaussian(6, 6, 40));
        var symmetric = new Matrix(6, 6);
        for (int i = 0; i < 6; i++) for (int j = 0; j < 6; j++) symmetric[i, j] = qSource[i, j] + qSource[j, i];
        var (_, q) = Dense.SymmetricEigen(symmetric);
        var rotated = Dense.Multiply(TestData.ToMatrix(Target), q);
        var target2 = new ActivationSet(rotated.Data.Select(v => (float)v).ToArray(), Target.Rows, 6);
        Assert.That(TestData.Run(Source, target2, "procrustes").Score("procrustes"),
            Is.EqualTo(TestData.Run(Source, Target, "procrustes").Score("procrustes")).Within(1e-6));
    }
}
