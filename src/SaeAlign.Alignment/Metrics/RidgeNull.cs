using System.Numerics;
using TorchSharp;
using static TorchSharp.torch;

namespace SaeAlign.Alignment;

/// <summary>
/// Ridge's score on target rows permuted within folds (a null replicate), by the same protocol as
/// <see cref="RidgeMetric"/> (exact leave-one-out alpha per fold, test Pearson) at a fraction of its second pass. With
/// z_i = Vᵀ(x_i − mx), γ = 1/(λ + α), leverage h_i = Σ z_i²γ, w_i = 1/(1 − h_i), G = Vᵀ X_cᵀ Y_c and the residual
/// e_i = y_i − z_i diag(γ) G, the summed squared leave-one-out error is
/// Σ w_i²‖y_i‖² − 2 Σ_k γ_k Σ_i w_i² z_ik (G y_i)_k + Σ_kl γ_k γ_l (G Gᵀ)_kl S_kl, with S = Σ w_i² z_i z_iᵀ.
/// A permutation within folds changes neither the fitting rows' X (so neither V, λ, h, w nor S, which are computed once)
/// nor the set of target rows each fit sees (so neither the means). A batch of replicates shares each row's z and w²,
/// and a replicate costs, per fitting row, G y_i (b·a multiply-adds, or k·a for a k-sparse code) and 18·a more,
/// instead of the full pass's 17·a·b.
/// </summary>
internal sealed class RidgeNull(LiveRows x, LiveRows y, int[][] members) : IDisposable
{
    private const int ChunkRows = 1024;
    private static readonly int Alphas = RidgeRegression.Alphas.Count;

    /// <summary>Per-row alpha vectors are padded to whole SIMD vectors.</summary>
    private static readonly int Stride = (Alphas + Vector<double>.Count - 1) / Vector<double>.Count * Vector<double>.Count;

    private readonly Dictionary<int, FoldState> folds = [];

    /// <summary>Sources up to this many keep the cached S (17 a x a per fold) small; wider ones re-run the protocol.</summary>
    public const int MaxSources = 256;

    /// <summary>A row whose leverage reaches one half for some alpha (w² above this) is summed directly, not decomposed.</summary>
    private const double SharpWeight = 4;

    /// <summary>
    /// Prepares every fold from the observed splits (X-only, so a permutation leaves it as it is) and says whether the
    /// decomposition applies: each fold fits on at least four rows per source (else the observed fit may take the dual
    /// form), and at most 1% of its rows are sharp. A sharp row (leverage one half or more, e.g. the few rows on which
    /// a rare latent fires) would make the three terms cancel catastrophically, so its error is summed directly, at
    /// 17·a·b a replicate. Where the decomposition does not apply, ridge's nulls re-run the protocol.
    /// </summary>
    public bool Prepare(IReadOnlyList<(PairMoments Train, PairMoments Test)> splits, CancellationToken ct)
    {
        for (int f = 0; f < splits.Count; f++)
        {
            if (splits[f].Train.Count < 4L * x.Width) return false;
            var state = State(f, splits[f].Train, ct);
            if (state.Sharp.Count > state.Rows.Length / 100) return false;
        }
        return true;
    }

    /// <summary>
    /// The null scores (mean over folds) of a batch of replicates: replicate r's permuted moments' splits
    /// <paramref name="splits"/>[r] and its target rows <paramref name="targetRows"/>[r].
    /// </summary>
    public double[] Scores(IReadOnlyList<IReadOnlyList<(PairMoments Train, PairMoments Test)>> splits, IReadOnlyList<int[]> targetRows, CancellationToken ct)
    {
        int replicates = splits.Count, foldCount = splits[0].Count;
        var states = Enumerable.Range(0, foldCount).Select(f => State(f, splits[0][f].Train, ct)).ToArray();
        var g = splits.Select(s => states.Select((state, f) => RidgeRegression.Projected(state.Vectors, s[f].Train, state.MeanX, state.MeanY)).ToArray()).ToArray();
        var errors = Errors(states, g, targetRows, ct);
        var scores = new double[replicates];
        for (int r = 0; r < replicates; r++)
            for (int f = 0; f < foldCount; f++)
            {
                var state = states[f];
                double alpha = RidgeRegression.BestAlpha(errors[r][f]);
                scores[r] += new RidgeProblem(state.MeanX, state.MeanY, state.Values, state.Vectors, g[r][f]).Solve(alpha).Score(splits[r][f].Test) / foldCount;
            }
        return scores;
    }

    public void Dispose() => folds.Clear();

    /// <param name="Gamma">1 / (λ_k + α): [a, Stride], row k the alphas of eigenvalue k.</param>
    /// <param name="S">Σ w_i²(α) z_i z_iᵀ per alpha over the rows that are not sharp: [Alphas, a, a].</param>
    /// <param name="Sharp">The fitting rows whose error is summed directly (<see cref="SharpWeight"/>).</param>
    private sealed record FoldState(int[] Rows, double[] MeanX, double[] MeanY, double[] Values, Matrix Vectors, double[] Gamma, double[][] S, HashSet<int> Sharp);

    /// <summary>The fold's X-only quantities, computed on its first use: eigenpairs of the centred XᵀX and S per alpha.</summary>
    private FoldState State(int fold, PairMoments train, CancellationToken ct)
    {
        if (folds.TryGetValue(fold, out var known)) return known;
        var rows = members.Length == 1 ? members[0] : members.Where((_, g) => g != fold).SelectMany(m => m).Order().ToArray();
        var mx = train.MeanX();
        var (values, vectors) = Dense.SymmetricEigen(train.SourceProducts(mx));
        int a = x.Width;
        var gamma = new double[a * Stride];
        for (int k = 0; k < a; k++)
            for (int alpha = 0; alpha < Alphas; alpha++) gamma[k * Stride + alpha] = 1 / (values[k] + RidgeRegression.Alphas[alpha]);
        var partial = new FoldState(rows, mx, train.MeanY(), values, vectors, gamma, [], []);
        // S in x's coordinates entry by entry for sparse codes (k² a row instead of a²), else from z by GEMM.
        var state = partial with { S = x.Sparse ? SparseS(partial, ct) : DenseS(partial, ct) };
        folds[fold] = state;
        return state;
    }

    /// <summary>
    /// z of a chunk of fitting rows (<paramref name="ids"/>, loaded in <paramref name="rows"/>; [count, a]) and each row's
    /// w² = 1 / (1 − h)² per alpha ([count, Stride]); a sharp row is added to the state's list and weighs 0 here.
    /// </summary>
    private void Weights(FoldState state, ReadOnlySpan<int> ids, EntryBlock rows, double[] z, double[] w2)
    {
        int a = x.Width;
        x.Project(rows, state.MeanX, state.Vectors.Data, a, z, null);
        for (int k = 0; k < rows.Rows; k++)
        {
            var weights = w2.AsSpan(k * Stride, Stride);
            if (!(SquaredWeights(z.AsSpan(k * a, a), state.Gamma, weights) <= SharpWeight))
            {
                state.Sharp.Add(ids[k]);
                weights.Clear();
            }
        }
    }

    /// <summary>w² = 1 / (1 − h)² per alpha of a row with projection <paramref name="z"/> (h = Σ z²γ), padding 0; returns the largest.</summary>
    private static double SquaredWeights(ReadOnlySpan<double> z, double[] gamma, Span<double> weights)
    {
        weights.Clear();
        for (int p = 0; p < z.Length; p++) Dense.Axpy(z[p] * z[p], gamma.AsSpan(p * Stride, Stride), weights);
        double most = 0;
        for (int alpha = 0; alpha < Alphas; alpha++)
        {
            double w = 1 / (1 - weights[alpha]);
            weights[alpha] = w * w;
            most = Math.Max(most, w * w);
        }
        weights[Alphas..].Clear();
        return most;
    }

    /// <summary>S from z: Σ_α-weighted Zᵀ diag(w²) Z per chunk, as one batched GEMM.</summary>
    private double[][] DenseS(FoldState state, CancellationToken ct)
    {
        int a = x.Width;
        var z = new double[ChunkRows * a];
        var w2 = new double[ChunkRows * Stride];
        var block = x.Block(ChunkRows);
        using var scope = torch.NewDisposeScope();
        var s = torch.zeros(Alphas, a, a, ScalarType.Float64);
        for (int first = 0; first < state.Rows.Length; first += ChunkRows)
        {
            ct.ThrowIfCancellationRequested();
            using var chunk = torch.NewDisposeScope();
            int count = Math.Min(ChunkRows, state.Rows.Length - first);
            var ids = state.Rows.AsSpan(first, count);
            x.Load(ids, block);
            Weights(state, ids, block, z, w2);
            var zt = torch.frombuffer(z, ScalarType.Float64, (long)count * a).view(count, a);
            var weights = torch.frombuffer(w2, ScalarType.Float64, (long)count * Stride).view(count, Stride).narrow(1, 0, Alphas);
            // [α, a, n] x [n, a].
            s.add_(torch.matmul(zt.t().unsqueeze(0) * weights.t().unsqueeze(1), zt));
        }
        return Enumerable.Range(0, Alphas).Select(alpha => Dense.ToVector(s[alpha])).ToArray();
    }

    /// <summary>
    /// S from sparse rows: with x_i − mean − mx = o + s_i (o the offset, s_i the row's raw entries),
    /// A = Σ w² (o + s)(o + s)ᵀ = Σ w² s sᵀ + o (Σ w² s)ᵀ + (Σ w² s) oᵀ + (Σ w²) o oᵀ, and S = Vᵀ A V.
    /// </summary>
    private double[][] SparseS(FoldState state, CancellationToken ct)
    {
        int a = x.Width;
        var z = new double[ChunkRows * a];
        var w2 = new double[ChunkRows * Stride];
        var products = new double[a * a * Stride];
        var sums = new double[a * Stride];
        var totals = new double[Stride];
        var block = x.Block(ChunkRows);
        for (int first = 0; first < state.Rows.Length; first += ChunkRows)
        {
            ct.ThrowIfCancellationRequested();
            int count = Math.Min(ChunkRows, state.Rows.Length - first);
            var ids = state.Rows.AsSpan(first, count);
            x.Load(ids, block);
            Weights(state, ids, block, z, w2);
            x.AddWeightedProducts(block, w2, Stride, products, sums, totals);
        }
        var offset = Enumerable.Range(0, a).Select(p => -x.Mean[p] - state.MeanX[p]).ToArray();
        using var v = Dense.ToTensor(state.Vectors);
        return Enumerable.Range(0, Alphas).Select(alpha =>
        {
            var gram = new Matrix(a, a);
            for (int p = 0; p < a; p++)
                for (int q = 0; q < a; q++)
                    gram[p, q] = products[(p * a + q) * Stride + alpha] + offset[p] * sums[q * Stride + alpha] + sums[p * Stride + alpha] * offset[q]
                        + totals[alpha] * offset[p] * offset[q];
            using var scope = torch.NewDisposeScope();
            return Dense.ToVector(torch.mm(torch.mm(v.t(), Dense.ToTensor(gram)), v));
        }).ToArray();
    }

    /// <summary>
    /// The summed squared leave-one-out error of each alpha, per replicate (its G per fold and permuted target rows) and
    /// fold. One pass over the rows serves every fold: a row's source and target entries are read once and projected on
    /// all folds' bases side by side (its own fold's weights are zero, as it is not a fitting row there).
    /// </summary>
    private double[][][] Errors(FoldState[] states, Matrix[][] g, IReadOnlyList<int[]> targetRows, CancellationToken ct)
    {
        int a = x.Width, b = y.Width, foldCount = states.Length, replicates = g.Length, wide = foldCount * a;
        var foldOf = FoldOfRows();
        // [V_1 | ... | V_F] and, per replicate, [G_1ᵀ | ... | G_Fᵀ | my_1 ... my_F]: the entries are centred about the
        // overall means only, each fold's own centring is a constant taken off afterwards.
        var rightX = new double[a * wide];
        var offsetX = new double[wide];
        for (int f = 0; f < foldCount; f++)
            for (int p = 0; p < a; p++)
                for (int k = 0; k < a; k++)
                {
                    rightX[p * wide + f * a + k] = states[f].Vectors[p, k];
                    offsetX[f * a + k] += states[f].MeanX[p] * states[f].Vectors[p, k];
                }
        int wideY = wide + foldCount;
        var rightY = new double[replicates][];
        var offsetY = new double[replicates][];
        for (int r = 0; r < replicates; r++)
        {
            rightY[r] = new double[b * wideY];
            offsetY[r] = new double[wide];
            for (int f = 0; f < foldCount; f++)
                for (int j = 0; j < b; j++)
                {
                    rightY[r][j * wideY + wide + f] = states[f].MeanY[j];
                    for (int k = 0; k < a; k++)
                    {
                        rightY[r][j * wideY + f * a + k] = g[r][f][k, j];
                        offsetY[r][f * a + k] += states[f].MeanY[j] * g[r][f][k, j];
                    }
                }
        }
        var meanNorms = states.Select(state => state.MeanY.Sum(m => m * m)).ToArray();
        var noShiftX = new double[a];
        var noShiftY = new double[b];
        var z = new double[ChunkRows * wide];
        var w2 = new double[ChunkRows * foldCount * Stride];
        var u = new double[ChunkRows * wideY];
        // Per row and fold, z ∘ (G y) and then ‖y − my‖²: one batched product weights both by w² for every alpha.
        int span = a + 1;
        var zu = new double[ChunkRows * foldCount * span];
        var norms = new double[ChunkRows];
        var permuted = new int[ChunkRows];
        var blockX = x.Block(ChunkRows);
        var blockY = y.Block(ChunkRows);
        using var scope = torch.NewDisposeScope();
        // Σ_i w_i²(α) [z_i ∘ (G y_i), ‖y_i‖²] per replicate and fold, [F, Stride, a + 1]; γ weights the first a once at the end.
        var weighted = Enumerable.Range(0, replicates).Select(_ => torch.zeros(foldCount, Stride, span, ScalarType.Float64)).ToArray();
        var zuTensor = torch.frombuffer(zu, ScalarType.Float64);
        var w2Tensor = torch.frombuffer(w2, ScalarType.Float64);
        for (int start = 0; start < x.Rows; start += ChunkRows)
        {
            ct.ThrowIfCancellationRequested();
            int count = Math.Min(ChunkRows, x.Rows - start);
            var rows = Enumerable.Range(start, count).ToArray();
            x.Load(rows, blockX);
            x.Project(blockX, noShiftX, rightX, wide, z, null);
            for (int k = 0; k < count; k++)
                for (int f = 0; f < foldCount; f++)
                {
                    var zf = z.AsSpan(k * wide + f * a, a);
                    var weights = w2.AsSpan((k * foldCount + f) * Stride, Stride);
                    weights.Clear();
                    if (foldOf[start + k] == f || states[f].Sharp.Contains(start + k)) continue;
                    for (int p = 0; p < a; p++) zf[p] -= offsetX[f * a + p];
                    SquaredWeights(zf, states[f].Gamma, weights);
                }
            using var chunk = torch.NewDisposeScope();
            var weightsT = w2Tensor.narrow(0, 0, (long)count * foldCount * Stride).view(count, foldCount, Stride).permute(1, 2, 0);
            var products = zuTensor.narrow(0, 0, (long)count * foldCount * span).view(count, foldCount, span).permute(1, 0, 2);
            for (int r = 0; r < replicates; r++)
            {
                for (int k = 0; k < count; k++) permuted[k] = targetRows[r][start + k];
                y.Load(permuted.AsSpan(0, count), blockY);
                y.Project(blockY, noShiftY, rightY[r], wideY, u, norms);
                for (int k = 0; k < count; k++)
                    for (int f = 0; f < foldCount; f++)
                    {
                        var product = zu.AsSpan((k * foldCount + f) * span, span);
                        if (foldOf[start + k] == f)
                        {
                            product.Clear();
                            continue;
                        }
                        Dense.MultiplyDifference(z.AsSpan(k * wide + f * a, a), u.AsSpan(k * wideY + f * a, a), offsetY[r].AsSpan(f * a, a), product);
                        // ‖y − my_f‖² = ‖y‖² − 2 y·my_f + ‖my_f‖², y about the overall means.
                        product[a] = norms[k] - 2 * u[k * wideY + wide + f] + meanNorms[f];
                    }
                weighted[r].add_(torch.bmm(weightsT, products));
            }
        }
        return Enumerable.Range(0, replicates).Select(r => Enumerable.Range(0, foldCount).Select(f =>
        {
            var state = states[f];
            var sums = Dense.ToVector(weighted[r][f]);
            // Σ_kl γ_k γ_l M_kl S_kl per alpha, M = G Gᵀ.
            var m = Dense.Multiply(g[r][f], g[r][f].Transpose());
            var errors = new double[Alphas];
            for (int alpha = 0; alpha < Alphas; alpha++)
            {
                double cross = 0, third = 0;
                for (int k = 0; k < a; k++)
                {
                    double gk = state.Gamma[k * Stride + alpha];
                    cross += gk * sums[alpha * span + k];
                    for (int l = 0; l < a; l++) third += gk * state.Gamma[l * Stride + alpha] * m[k, l] * state.S[alpha][k * a + l];
                }
                errors[alpha] = sums[alpha * span + a] - 2 * cross + third;
            }
            AddSharp(state, g[r][f], targetRows[r], errors);
            return errors;
        }).ToArray()).ToArray();
    }

    /// <summary>Adds the sharp rows' w²‖e‖² per alpha, e = (y − my) − z diag(γ) G computed directly.</summary>
    private void AddSharp(FoldState state, Matrix g, int[] targetRows, double[] errors)
    {
        int a = x.Width, b = y.Width;
        var xc = new double[a];
        var yc = new double[b];
        var residual = new double[b];
        foreach (int row in state.Sharp)
        {
            x.Fill([row], xc);
            y.Fill([targetRows[row]], yc);
            for (int p = 0; p < a; p++) xc[p] -= state.MeanX[p];
            for (int j = 0; j < b; j++) yc[j] -= state.MeanY[j];
            var z = new double[a];
            for (int p = 0; p < a; p++) Dense.Axpy(xc[p], state.Vectors.Row(p), z);
            for (int alpha = 0; alpha < Alphas; alpha++)
            {
                double leverage = 0;
                yc.CopyTo(residual, 0);
                for (int k = 0; k < a; k++)
                {
                    double gamma = state.Gamma[k * Stride + alpha];
                    leverage += z[k] * z[k] * gamma;
                    Dense.Axpy(-z[k] * gamma, g.Row(k), residual);
                }
                double w = 1 / (1 - leverage), norm = 0;
                foreach (double e in residual) norm += e * e;
                errors[alpha] += w * w * norm;
            }
        }
    }

    /// <summary>Each row's fold (it fits every other fold); without CV no row is held out (255).</summary>
    private byte[] FoldOfRows()
    {
        var foldOf = new byte[x.Rows];
        if (members.Length == 1) Array.Fill(foldOf, byte.MaxValue);
        else
            for (int f = 0; f < members.Length; f++)
                foreach (int row in members[f]) foldOf[row] = (byte)f;
        return foldOf;
    }
}
