namespace SaeAlign.Alignment;

/// <summary>
/// Orthogonal Procrustes on centred, normalised X and Y (netrep's LinearMetric with alpha = 1, the
/// narrower set zero-padded): Q = U Vᵀ from the SVD of the centred XᵀY maximises ⟨XQ, Y⟩. The similarity is
/// cos θ = ⟨XQ, Y⟩ / (‖X‖_F ‖Y‖_F), the angular shape distance θ = arccos(cos θ). Fitted on training rows,
/// scored on held-out rows centred with the training means (netrep's transform). Symmetric.
/// </summary>
public static class Procrustes
{
    public static ProcrustesFit Fit(PairMoments train)
    {
        var mx = train.MeanX();
        var my = train.MeanY();
        var (u, _, vt) = Dense.Svd(train.CrossProducts(mx, my));
        return new ProcrustesFit(Dense.Multiply(u, vt), mx, my);
    }
}

/// <summary>The (semi-)orthogonal map Q, a x b, and the fitting means.</summary>
public sealed record ProcrustesFit(Matrix Rotation, double[] MeanX, double[] MeanY) : IFittedMapping
{
    /// <summary>The similarity cos θ on the scored rows.</summary>
    public double Score(PairMoments test)
    {
        var cross = test.CrossProducts(MeanX, MeanY);
        double sx = PairMoments.CentredSquares(test.SquaresX, test.SumX, MeanX, test.Count).Sum();
        double sy = PairMoments.CentredSquares(test.SquaresY, test.SumY, MeanY, test.Count).Sum();
        double inner = 0;
        for (int k = 0; k < cross.Data.Length; k++) inner += Rotation.Data[k] * cross.Data[k];
        double scale = Math.Sqrt(sx * sy);
        return scale > 0 ? Math.Clamp(inner / scale, -1, 1) : 0;
    }

    /// <summary>The angular shape distance θ = arccos(cos θ), in radians.</summary>
    public double Distance(PairMoments test) => Math.Acos(Score(test));
}

/// <summary>
/// The "procrustes" (similarity cos θ) and "procrustes-angle" (θ) metrics: fitted and symmetric; both read the same
/// fit of each fold.
/// </summary>
public sealed class ProcrustesMetric(bool angle) : IAlignmentMetric
{
    public string Name => angle ? AlignmentMetric.ProcrustesAngle : AlignmentMetric.Procrustes;
    public bool Fitted => true;
    public bool Directional => false;
    public MetricNeeds Needs => MetricNeeds.CrossMoments;
    public bool HigherIsAligned => !angle;

    public MetricResult Score(DenseInputs inputs, CancellationToken ct) => inputs.PerFold(this, f =>
    {
        var fit = inputs.Shared($"procrustes.{f}", () => Procrustes.Fit(inputs.Splits[f].Train));
        var test = inputs.Splits[f].Test;
        return angle ? fit.Distance(test) : fit.Score(test);
    });
}
