using TorchSharp;
using static TorchSharp.torch;

namespace SaeAlign.Alignment;

/// <summary>
/// Ridge as <see cref="RidgeMetric"/> defines it (fit-row centring, no intercept, one alpha per fold by exact
/// leave-one-out over <see cref="RidgeRegression.Alphas"/>, mean test Pearson over targets), for codes of any width.
/// Both forms write the fitted predictions as Ŷ = E diag(γ) C with C = EᵀY_c and the leverage as h_i = Σ_k E_ik² γ_k:
/// the primal (source units no more than fit rows) takes E = X_c V from X_cᵀX_c = V diag(λ) Vᵀ and γ = 1/(λ + α); the
/// dual (wider sources; sklearn's RidgeCV does the same when n_samples &lt; n_features) takes E = U from
/// X_c X_cᵀ = U diag(λ) Uᵀ and γ = λ/(λ + α). The two give the same leave-one-out errors (y_i − ŷ_i)/(1 − h_i), so the
/// same alphas and scores. Each alpha's squared residuals |y_i − ŷ_i|² come from the cheapest exact route:
/// <list type="bullet">
/// <item>the predictions E diag(γ) C themselves (rows·m·b), when the targets are fewer than the basis;</item>
/// <item>sparse sources in the primal: |ŷ_i|² from the sparse rows times W = V diag(γ) C (units·m·b + nonzeros·b),
/// and y_i·ŷ_i = w_i·(Y_c Cᵀ)_i with w_i = E_i ⊙ γ;</item>
/// <item>otherwise |ŷ_i|² = w_i (C Cᵀ) w_iᵀ (rows·m²); when the targets outnumber the fit rows, C Cᵀ and Y_c Cᵀ come
/// from the target Gram Y_c Y_cᵀ, never C.</item>
/// </list>
/// </summary>
internal static class SparseRidge
{
    public enum Form { Auto, Primal, Dual }

    // Elements per temporary of a blocked product: 16 MB stays under glibc's mmap threshold, so temporaries are reused
    // instead of page-faulted in afresh hundreds of times per alpha.
    private const int BlockElements = 1 << 21;

    private static int Block(long width) => (int)Math.Clamp(BlockElements / Math.Max(1, width), 64, 4096);

    /// <summary>
    /// Upper estimate of the float64 bytes one fold holds at its peak, for <paramref name="rows"/> stimuli of
    /// <paramref name="a"/> source and <paramref name="b"/> target units (a mostly nonzero set adds its dense rows).
    /// </summary>
    public static long Bytes(long rows, long a, long b, int folds)
    {
        long test = folds <= 1 ? rows : (rows + folds - 1) / folds, fit = folds <= 1 ? rows : rows - rows / folds;
        bool primal = a <= fit;
        long m = primal ? a : fit;
        // The Gram matrix, its eigenvectors and the eigensolver's workspace; the dual adds the test x fit kernel.
        long basis = primal ? 3 * a * a : 3 * fit * fit + test * fit;
        long rowsHeld = (fit + test) * m;
        // Y_c Cᵀ and Cᵀ (or the target Gram), with the fit targets themselves, W = V diag(γ) C and its copy, or C Cᵀ.
        long targets = b > fit
            ? fit * fit + fit * m + m * m + test * fit
            : b * m + fit * Math.Max(m, b) + Math.Max(m * m, 2 * a * b);
        long blocks = 8L * BlockElements;
        return 8 * (basis + rowsHeld + targets + blocks);
    }

    /// <summary>The fold's test score and the alpha its fit rows chose.</summary>
    public static (double Score, double Alpha) Fold(CodeRows fitX, CodeRows testX, CodeRows fitY, CodeRows testY, Form form, CancellationToken ct)
    {
        using var scope = torch.NewDisposeScope();
        int n = fitX.Rows, a = fitX.Units, b = fitY.Units;
        var mu = fitX.Sums().div_((double)n);
        var nu = fitY.Sums().div_((double)n);
        bool primal = form == Form.Primal || (form == Form.Auto && a <= n);
        var (lambda, basis, test, gain, vectors) = primal ? Primal(fitX, testX, mu) : Dual(fitX, testX, mu);
        ct.ThrowIfCancellationRequested();
        int m = (int)basis.shape[1];

        // Cᵀ = Y_cᵀE [b x m], unless the targets outnumber both the basis and the fit rows (then the target Gram replaces it).
        var basisSums = basis.sum([0]);
        Tensor? coefficients = b < m || b <= n ? fitY.TransposeTimes(basis, 0, b).sub_(torch.outer(nu, basisSums)) : null;
        Tensor? centred = null, cross = null, quadratic = null;
        bool mapped = primal && fitX.Sparse && coefficients is not null;
        if (b < m && !mapped)
            centred = fitY.Columns(0, b).sub(nu);
        else if (coefficients is not null)
        {
            cross = fitY.Times(coefficients).sub_(torch.mv(coefficients.t(), nu));
            if (!mapped) quadratic = torch.mm(coefficients.t(), coefficients);
        }
        else
        {
            var shift = fitY.Times(nu.unsqueeze(1)).squeeze(1);
            using (var gram = fitY.RowGram(fitY).sub_(shift.unsqueeze(1)).sub_(shift.unsqueeze(0)).add_(nu.dot(nu)))
                cross = torch.mm(gram, basis);
            quadratic = torch.mm(basis.t(), cross);
        }
        var squares = fitY.RowSquares().sub_(fitY.Times(nu.unsqueeze(1)).squeeze(1).mul_(2.0)).add_(nu.dot(nu));

        var errors = new double[RidgeRegression.Alphas.Count];
        int blockRows = Block(Math.Max(m, b));
        for (int k = 0; k < errors.Length; k++)
        {
            using var alphaScope = torch.NewDisposeScope();
            var gamma = gain / (lambda + RidgeRegression.Alphas[k]);
            // W = V diag(γ) C [a x b] and μᵀW: the fit predictions are X W − μᵀW.
            var mapping = mapped ? torch.mm(vectors! * gamma, coefficients!.t()) : null;
            var mappedMean = mapping is null ? null : torch.mv(mapping.t(), mu);
            var predict = mapping is null ? null : fitX.RowBlocks(mapping);
            for (int first = 0; first < n; first += blockRows)
            {
                ct.ThrowIfCancellationRequested();
                using var blockScope = torch.NewDisposeScope();
                int count = Math.Min(blockRows, n - first);
                var rows = basis.narrow(0, first, count);
                var weighted = rows * gamma;
                var leverage = (rows * weighted).sum(1);
                var residual = centred is not null
                    ? torch.mm(weighted, coefficients!.t()).sub_(centred.narrow(0, first, count)).pow_(2).sum(1)
                    : squares.narrow(0, first, count) - (weighted * cross!.narrow(0, first, count)).sum(1).mul_(2.0)
                        + (predict is not null
                            ? predict(first, count).sub_(mappedMean!).pow_(2).sum(1)
                            : (torch.mm(weighted, quadratic!) * weighted).sum(1));
                errors[k] += residual.div_(leverage.neg_().add_(1).pow_(2)).sum().item<double>();
            }
        }

        double alpha = RidgeRegression.BestAlpha(errors);
        var scaled = test / (lambda + alpha);
        double total = 0;
        int blockTargets = Block(test.shape[0]);
        if (coefficients is not null)
        {
            for (int first = 0; first < b; first += blockTargets)
            {
                using var blockScope = torch.NewDisposeScope();
                int count = Math.Min(blockTargets, b - first);
                total += PearsonSum(torch.mm(scaled, coefficients.narrow(0, first, count).t()), testY.Columns(first, count));
            }
        }
        else
        {
            // Ŷ_test = A Y_c with A = test diag(1/(λ + α)) Eᵀ, one block of targets at a time from the sparse Yᵀ.
            var across = torch.mm(scaled, basis.t());
            var acrossT = across.t().contiguous();
            var rowSums = across.sum(1);
            for (int first = 0; first < b; first += blockTargets)
            {
                ct.ThrowIfCancellationRequested();
                using var blockScope = torch.NewDisposeScope();
                int count = Math.Min(blockTargets, b - first);
                var predictions = fitY.TransposeTimes(acrossT, first, count).sub_(torch.outer(nu.narrow(0, first, count), rowSums));
                total += PearsonSum(predictions.t(), testY.Columns(first, count));
            }
        }
        return (total / b, alpha);
    }

    /// <summary>λ and V of X_cᵀX_c; E = X_c V on the fit rows, and (X_test − μ)V.</summary>
    private static (Tensor Lambda, Tensor Basis, Tensor Test, Tensor Gain, Tensor? Vectors) Primal(CodeRows fitX, CodeRows testX, Tensor mu)
    {
        Tensor values, vectors;
        using (var gram = fitX.Gram().sub_(torch.outer(mu, mu).mul_((double)fitX.Rows)))
            (values, vectors) = torch.linalg.eigh(gram);
        var shift = torch.mv(vectors.t(), mu);
        return (values, fitX.Times(vectors).sub_(shift), testX.Times(vectors).sub_(shift), torch.ones_like(values), vectors);
    }

    /// <summary>λ and U of X_c X_cᵀ; E = U, and the test rows' kernel against the fit rows times U.</summary>
    private static (Tensor Lambda, Tensor Basis, Tensor Test, Tensor Gain, Tensor? Vectors) Dual(CodeRows fitX, CodeRows testX, Tensor mu)
    {
        var shift = fitX.Times(mu.unsqueeze(1)).squeeze(1);
        double norm = mu.dot(mu).item<double>();
        Tensor values, vectors;
        using (var kernel = fitX.RowGram(fitX).sub_(shift.unsqueeze(1)).sub_(shift.unsqueeze(0)).add_(norm))
            (values, vectors) = torch.linalg.eigh(kernel);
        var testShift = testX.Times(mu.unsqueeze(1)).squeeze(1);
        using var testKernel = testX.RowGram(fitX).sub_(testShift.unsqueeze(1)).sub_(shift.unsqueeze(0)).add_(norm);
        return (values, vectors, torch.mm(testKernel, vectors), values, null);
    }

    /// <summary>Σ over columns of Pearson(prediction, truth), 0 for a column constant on these rows.</summary>
    private static double PearsonSum(Tensor predictions, Tensor truth)
    {
        var p = predictions - predictions.mean([0]);
        var t = truth - truth.mean([0]);
        var scale = (p.square().sum([0]) * t.square().sum([0])).sqrt_();
        var covariance = (p * t).sum([0]);
        return torch.where(scale > 0, covariance / scale, torch.zeros_like(scale)).sum().item<double>();
    }
}
