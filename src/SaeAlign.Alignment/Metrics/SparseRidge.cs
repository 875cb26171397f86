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
        // The Gram matrix, its eigenvectors (and their row-major copy) and the eigensolver's workspace (2n²); the dual
        // adds the test x fit kernel.
        long basis = primal ? 5 * a * a : 5 * fit * fit + test * fit;
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
        var mu = fitX.Sums().div_((double)fitX.Rows);
        bool primal = form == Form.Primal || (form == Form.Auto && fitX.Units <= fitX.Rows);
        var basis = primal ? Primal(fitX, testX, mu) : Dual(fitX, testX, mu);
        ct.ThrowIfCancellationRequested();
        var targets = Targets.Of(basis, fitX, fitY, mu);
        var errors = RidgeRegression.Alphas.Select(alpha => targets.LeaveOneOutError(alpha, ct)).ToArray();
        double best = RidgeRegression.BestAlpha(errors);
        return (targets.TestScore(best, testY, ct), best);
    }

    /// <summary>
    /// A fold's basis: E [fit rows x m] with λ and the gain β (γ = β/(λ + α)), the test rows in the same basis
    /// (predictions: test diag(1/(λ + α)) C), and for the primal V itself.
    /// </summary>
    private sealed record Basis(Tensor Lambda, Tensor Rows, Tensor Test, Tensor Gain, Tensor? Vectors);

    /// <summary>
    /// What each alpha's leave-one-out errors and the test score need from the targets: Cᵀ = Y_cᵀE when it is no
    /// bigger than the target Gram it would replace; then the centred fit targets (predictions route), or Y_c Cᵀ with
    /// C Cᵀ (quadratic route) or without it (sparse sources in the primal, through W = V diag(γ) C); |y_i − ν|².
    /// </summary>
    private sealed record Targets(Basis Basis, CodeRows FitX, CodeRows FitY, Tensor Mu, Tensor Nu, Tensor? Coefficients,
        Tensor? Centred, Tensor? Cross, Tensor? Quadratic, Tensor Squares, bool Mapped)
    {
        public static Targets Of(Basis basis, CodeRows fitX, CodeRows fitY, Tensor mu)
        {
            int n = fitY.Rows, b = fitY.Units, m = (int)basis.Rows.shape[1];
            var nu = fitY.Sums().div_((double)n);
            var coefficients = b < m || b <= n ? fitY.TransposeTimes(basis.Rows, 0, b).sub_(torch.outer(nu, basis.Rows.sum([0]))) : null;
            bool mapped = basis.Vectors is not null && fitX.Sparse && coefficients is not null;
            Tensor? centred = null, cross = null, quadratic = null;
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
                    cross = torch.mm(gram, basis.Rows);
                quadratic = torch.mm(basis.Rows.t(), cross);
            }
            var squares = fitY.RowSquares().sub_(fitY.Times(nu.unsqueeze(1)).squeeze(1).mul_(2.0)).add_(nu.dot(nu));
            return new Targets(basis, fitX, fitY, mu, nu, coefficients, centred, cross, quadratic, squares, mapped);
        }

        /// <summary>Σ_i |y_i − ŷ_i|² / (1 − h_i)² over the fit rows for one alpha.</summary>
        public double LeaveOneOutError(double alpha, CancellationToken ct)
        {
            using var scope = torch.NewDisposeScope();
            var rows = Basis.Rows;
            int n = (int)rows.shape[0];
            var gamma = Basis.Gain / (Basis.Lambda + alpha);
            // Sparse sources in the primal: W = V diag(γ) C [a x b] and μᵀW, the fit predictions being X W − μᵀW.
            var mapping = Mapped ? torch.mm(Basis.Vectors! * gamma, Coefficients!.t()) : null;
            var mappedMean = mapping is null ? null : torch.mv(mapping.t(), Mu);
            var predict = mapping is null ? null : FitX.RowBlocks(mapping);
            int blockRows = Block(Math.Max(rows.shape[1], FitY.Units));
            double total = 0;
            for (int first = 0; first < n; first += blockRows)
            {
                ct.ThrowIfCancellationRequested();
                using var blockScope = torch.NewDisposeScope();
                int count = Math.Min(blockRows, n - first);
                var block = rows.narrow(0, first, count);
                var weighted = block * gamma;
                var leverage = (block * weighted).sum(1);
                var residual = Centred is not null
                    ? torch.mm(weighted, Coefficients!.t()).sub_(Centred.narrow(0, first, count)).pow_(2).sum(1)
                    : Squares.narrow(0, first, count) - (weighted * Cross!.narrow(0, first, count)).sum(1).mul_(2.0)
                        + (predict is not null
                            ? predict(first, count).sub_(mappedMean!).pow_(2).sum(1)
                            : (torch.mm(weighted, Quadratic!) * weighted).sum(1));
                total += residual.div_(leverage.neg_().add_(1).pow_(2)).sum().item<double>();
            }
            return total;
        }

        /// <summary>Mean over targets of Pearson(prediction, truth) on the test rows, the fit made with <paramref name="alpha"/>.</summary>
        public double TestScore(double alpha, CodeRows testY, CancellationToken ct)
        {
            using var scope = torch.NewDisposeScope();
            var scaled = Basis.Test / (Basis.Lambda + alpha);
            int b = testY.Units, blockTargets = Block(scaled.shape[0]);
            // Without Cᵀ: Ŷ_test = A Y_c with A = test diag(1/(λ + α)) Eᵀ, one block of targets at a time from the sparse Yᵀ.
            var across = Coefficients is null ? torch.mm(scaled, Basis.Rows.t()) : null;
            var acrossT = across?.t().contiguous();
            var rowSums = across?.sum(1);
            double total = 0;
            for (int first = 0; first < b; first += blockTargets)
            {
                ct.ThrowIfCancellationRequested();
                using var blockScope = torch.NewDisposeScope();
                int count = Math.Min(blockTargets, b - first);
                var predictions = Coefficients is not null
                    ? torch.mm(scaled, Coefficients.narrow(0, first, count).t())
                    : FitY.TransposeTimes(acrossT!, first, count).sub_(torch.outer(Nu.narrow(0, first, count), rowSums!)).t();
                total += PearsonSum(predictions, testY.Columns(first, count));
            }
            return total / b;
        }
    }

    /// <summary>λ and V of X_cᵀX_c; E = X_c V on the fit rows, and (X_test − μ)V.</summary>
    private static Basis Primal(CodeRows fitX, CodeRows testX, Tensor mu)
    {
        Tensor values, vectors;
        using (var gram = fitX.Gram().sub_(torch.outer(mu, mu).mul_((double)fitX.Rows)))
            (values, vectors) = torch.linalg.eigh(gram);
        var shift = torch.mv(vectors.t(), mu);
        return new Basis(values, fitX.Times(vectors).sub_(shift), testX.Times(vectors).sub_(shift), torch.ones_like(values), vectors);
    }

    /// <summary>λ and U of X_c X_cᵀ; E = U, and the test rows' kernel against the fit rows times U.</summary>
    private static Basis Dual(CodeRows fitX, CodeRows testX, Tensor mu)
    {
        var shift = fitX.Times(mu.unsqueeze(1)).squeeze(1);
        double norm = mu.dot(mu).item<double>();
        Tensor values, vectors;
        using (var kernel = fitX.RowGram(fitX).sub_(shift.unsqueeze(1)).sub_(shift.unsqueeze(0)).add_(norm))
            (values, vectors) = torch.linalg.eigh(kernel);
        var testShift = testX.Times(mu.unsqueeze(1)).squeeze(1);
        using var testKernel = testX.RowGram(fitX).sub_(testShift.unsqueeze(1)).sub_(shift.unsqueeze(0)).add_(norm);
        return new Basis(values, vectors, torch.mm(testKernel, vectors), values, null);
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
