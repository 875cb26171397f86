using TorchSharp;
using static TorchSharp.torch;

namespace SaeAlign.Alignment;

/// <summary>
/// Ridge's score on target rows permuted within folds (a null replicate), by the same protocol as
/// <see cref="RidgeMetric"/> (exact leave-one-out alpha per fold, test Pearson) at a fraction of its second pass. With
/// z_i = Vᵀ(x_i − mx), γ = 1/(λ + α), leverage h_i = Σ z_i²γ, w_i = 1/(1 − h_i), G = Vᵀ X_cᵀ Y_c and the residual
/// e_i = y_i − z_i diag(γ) G, the summed squared leave-one-out error is
/// Σ w_i²‖y_i‖² − 2 Σ w_i² (γ∘z_i)·(G y_i) + Σ_kl γ_k γ_l (G Gᵀ)_kl S_kl, with S = Σ w_i² z_i z_iᵀ.
/// A permutation within folds changes neither the fitting rows' X (so neither V, λ, h, w nor S, which are computed once)
/// nor the set of target rows each fit sees (so neither the means): each replicate costs a pass of a·b + a² + 34a
/// multiply-adds per row instead of the full pass's 17·a·b + a².
/// </summary>
internal sealed class RidgeNull(LiveRows x, LiveRows y, int[][] members) : IDisposable
{
    private const int ChunkRows = 4096;
    private readonly Dictionary<int, FoldState> folds = [];
    // Reused across chunks and replicates: fresh arrays per chunk were large objects whose collection dominated.
    private double[]? bufferX, bufferY;

    /// <summary>Sources up to this many keep the cached S (17 a x a per fold) small; wider ones re-run the protocol.</summary>
    public const int MaxSources = 256;

    /// <summary>
    /// Prepares every fold from the observed splits (X-only, so a permutation leaves it as it is) and says whether the
    /// decomposition is safe here: each fold fits on at least four rows per source (else the observed fit may take the
    /// dual form) and no row's leverage reaches one half (w² ≤ 4), so the three terms do not cancel catastrophically.
    /// Where it is not, ridge's nulls re-run the protocol.
    /// </summary>
    public bool Prepare(IReadOnlyList<(PairMoments Train, PairMoments Test)> splits, CancellationToken ct)
    {
        bool safe = true;
        for (int f = 0; f < splits.Count; f++)
        {
            if (splits[f].Train.Count < 4L * x.Width) return false;
            safe &= State(f, splits[f].Train, ct).MaxSquaredWeight <= 4;
        }
        return safe;
    }

    /// <summary>The null score (mean over folds) for <paramref name="targetRows"/>, from the permuted moments' splits.</summary>
    public double Score(IReadOnlyList<(PairMoments Train, PairMoments Test)> splits, int[] targetRows, CancellationToken ct)
    {
        var scores = new double[splits.Count];
        for (int f = 0; f < splits.Count; f++)
        {
            var (train, test) = splits[f];
            var state = State(f, train, ct);
            var mx = train.MeanX();
            var my = train.MeanY();
            var g = Dense.Multiply(state.Vectors, train.CrossProducts(mx, my), transposeA: true);
            var errors = Errors(state, g, mx, my, targetRows, ct);
            double alpha = RidgeRegression.BestAlpha(errors);
            scores[f] = new RidgeProblem(mx, my, state.Values, state.Vectors, g).Solve(alpha).Score(test);
        }
        return scores.Average();
    }

    public void Dispose()
    {
        foreach (var state in folds.Values)
        {
            state.Inverses.Dispose();
            state.S.Dispose();
        }
        folds.Clear();
    }

    private sealed record FoldState(int[] Rows, double[] Values, Matrix Vectors, Tensor Inverses, Tensor S, double MaxSquaredWeight);

    /// <summary>The fold's X-only quantities, computed on its first replicate: eigenpairs of the centred XᵀX and S per alpha.</summary>
    private FoldState State(int fold, PairMoments train, CancellationToken ct)
    {
        if (folds.TryGetValue(fold, out var known)) return known;
        var rows = members.Length == 1 ? members[0] : members.Where((_, g) => g != fold).SelectMany(m => m).Order().ToArray();
        var mx = train.MeanX();
        var (values, vectors) = Dense.SymmetricEigen(train.SourceProducts(mx));
        int a = x.Width, alphas = RidgeRegression.Alphas.Count;
        using var outer = torch.NewDisposeScope();
        var inverses = torch.tensor(RidgeRegression.Alphas.SelectMany(alpha => values.Select(l => 1 / (l + alpha))).ToArray(),
            [alphas, a], ScalarType.Float64).t().contiguous();
        var v = Dense.ToTensor(vectors);
        var mean = torch.tensor(mx, ScalarType.Float64);
        var s = torch.zeros(alphas, a, a, ScalarType.Float64);
        double maxSquaredWeight = 0;
        var buffer = bufferX ??= new double[ChunkRows * a];
        for (int first = 0; first < rows.Length; first += ChunkRows)
        {
            ct.ThrowIfCancellationRequested();
            using var scope = torch.NewDisposeScope();
            int count = Math.Min(ChunkRows, rows.Length - first);
            x.Fill(rows.AsSpan(first, count), buffer);
            var z = torch.mm(torch.frombuffer(buffer, ScalarType.Float64, (long)count * a).view(count, a).sub_(mean), v);
            var w2 = SquaredWeights(z, inverses);
            maxSquaredWeight = Math.Max(maxSquaredWeight, w2.max().ToDouble());
            // S_α += Zᵀ diag(w²_α) Z for every α at once: [α, a, n] x [n, a].
            s.add_(torch.matmul(z.t().unsqueeze(0) * w2.t().unsqueeze(1), z));
        }
        var state = new FoldState(rows, values, vectors, inverses.DetachFromDisposeScope(), s.DetachFromDisposeScope(), maxSquaredWeight);
        folds[fold] = state;
        return state;
    }

    /// <summary>w_i² = 1 / (1 − h_i)² per row and alpha, h_i = Σ_k z_ik² / (λ_k + α): [rows, alphas].</summary>
    private static Tensor SquaredWeights(Tensor z, Tensor inverses) => torch.mm(z.square(), inverses).neg_().add_(1).pow_(-2);

    /// <summary>The summed squared leave-one-out error of each alpha with the fitting rows' targets permuted.</summary>
    private double[] Errors(FoldState state, Matrix g, double[] mx, double[] my, int[] targetRows, CancellationToken ct)
    {
        int a = x.Width, b = y.Width;
        using var scope = torch.NewDisposeScope();
        var v = Dense.ToTensor(state.Vectors);
        var gt = Dense.ToTensor(g).t().contiguous();
        var meanX = torch.tensor(mx, ScalarType.Float64);
        var meanY = torch.tensor(my, ScalarType.Float64);
        var firstTerm = torch.zeros(RidgeRegression.Alphas.Count, ScalarType.Float64);
        var crossTerm = torch.zeros(RidgeRegression.Alphas.Count, ScalarType.Float64);
        var bufferX = this.bufferX ??= new double[ChunkRows * a];
        var bufferY = this.bufferY ??= new double[ChunkRows * b];
        var rows = state.Rows;
        for (int first = 0; first < rows.Length; first += ChunkRows)
        {
            ct.ThrowIfCancellationRequested();
            using var chunk = torch.NewDisposeScope();
            int count = Math.Min(ChunkRows, rows.Length - first);
            var slice = rows.AsSpan(first, count);
            x.Fill(slice, bufferX);
            var permuted = new int[count];
            for (int k = 0; k < count; k++) permuted[k] = targetRows[slice[k]];
            y.Fill(permuted, bufferY);
            var z = torch.mm(torch.frombuffer(bufferX, ScalarType.Float64, (long)count * a).view(count, a).sub_(meanX), v);
            var yc = torch.frombuffer(bufferY, ScalarType.Float64, (long)count * b).view(count, b).sub_(meanY);
            var w2 = SquaredWeights(z, state.Inverses);
            firstTerm.add_(torch.mv(w2.t(), yc.square().sum(dim: 1)));
            var projected = torch.mm(z.mul_(torch.mm(yc, gt)), state.Inverses);
            crossTerm.add_(projected.mul_(w2).sum(dim: 0));
        }
        // Σ_kl γ_k γ_l M_kl S_kl per alpha, M = G Gᵀ.
        var m = torch.mm(Dense.ToTensor(g), Dense.ToTensor(g).t());
        var gamma = state.Inverses.t();
        var third = (gamma.unsqueeze(2) * gamma.unsqueeze(1) * m.unsqueeze(0) * state.S).sum([1, 2]);
        return Dense.ToVector(firstTerm - 2 * crossTerm + third);
    }
}
