using Google.OrTools.Graph;

namespace SaeAlign.Alignment;

/// <summary>
/// Fills <paramref name="into"/> (row-major, sources x target count) with the fit correlations of source units
/// [firstSource, firstSource + sources) against every target unit. Must give the same values on every call: the
/// certificate prices the pairs again each round.
/// </summary>
public delegate void CorrelationRows(int firstSource, int sources, Memory<double> into);

/// <summary>How the certified solvers get to the optimum; none of it changes the optimum's cost, only the work.</summary>
public sealed record CertifiedTransportOptions
{
    /// <summary>Each source's and each target's K best partners seed the candidate pairs.</summary>
    public int TopK { get; init; } = 16;

    /// <summary>The most correlations asked of the callback at once (8 MB); a block is never less than one source row.</summary>
    public long BlockDoubles { get; init; } = 1L << 20;

    /// <summary>The most violating pairs added per source row and round.</summary>
    public int ViolatorsPerRow { get; init; } = 8;
}

/// <summary>How the optimum was certified: flow solves, candidate pairs at the end, and pairs added by pricing.</summary>
public sealed record TransportCertificate(int Rounds, int CandidateArcs, int ArcsAdded);

/// <summary>A transport plan as its nonzero entries, sorted by source then target.</summary>
public sealed record SparsePlan(IReadOnlyList<(int Source, int Target, double Mass)> Entries, TransportCertificate Certificate)
{
    /// <summary>Σ mass · corr_test over the plan's entries, as <see cref="SoftMatchingFit.Score(Matrix)"/>.</summary>
    public double Score(Func<int, int, double> testCorrelation)
    {
        double sum = 0;
        foreach (var (source, target, mass) in Entries) sum += mass * testCorrelation(source, target);
        return sum;
    }
}

/// <summary>The matched (source, target) pairs, sorted by source.</summary>
public sealed record CertifiedPairs(IReadOnlyList<(int Source, int Target)> Pairs, TransportCertificate Certificate);

/// <summary>
/// The soft and one-to-one matchings solved exactly without a dense a x b problem: min-cost flow on a candidate
/// set of pairs, then every pair is priced, block by block through the callback, against node potentials of the
/// candidate optimum; pairs with negative reduced cost are added and the flow solved again until none remains.
/// At that point the candidate flow is feasible for the full problem and the potentials are a feasible dual
/// solution of the full LP satisfying complementary slackness, so by LP duality the flow is optimal for the full
/// problem: the same optimal integer cost (<see cref="IntegerCost"/>) as <see cref="SoftMatching"/> and
/// <see cref="OneToOneMatching"/>. Memory is the candidates plus one block, never a x b.
/// </summary>
public static class CertifiedTransport
{
    /// <summary>The exact transport plan of <see cref="SoftMatching"/>: rows sum to 1/a, columns to 1/b, minimising Σ P_ij (1 - corr_ij).</summary>
    public static SparsePlan SoftPlan(int a, int b, CorrelationRows fit, IReadOnlyList<(int Source, int Target)>? candidates = null,
        CertifiedTransportOptions? options = null, CancellationToken ct = default)
    {
        CheckShape(a, b);
        // Dividing both marginals by gcd(a, b) scales the LP without changing its optimal plans, and keeps flows
        // (and so cost x flow in the solver) small.
        long g = Gcd(a, b), supply = b / g, demand = a / g;
        var problem = new Problem(a, b, supply, demand, 0);
        var solution = Certify(problem, fit, [.. NorthWestCorner(problem), .. Checked(a, b, candidates)], options ?? new(), ct);
        double total = (double)supply * a;
        var entries = new List<(int Source, int Target, double Mass)>();
        for (int k = 0; k < solution.Arcs.Count; k++)
            if (solution.Flows[k] != 0) entries.Add((solution.Arcs[k].Source, solution.Arcs[k].Target, solution.Flows[k] / total));
        entries.Sort();
        return new SparsePlan(entries, solution.Certificate);
    }

    /// <summary>The maximum-weight matching of min(a, b) pairs of <see cref="OneToOneMatching"/>.</summary>
    public static CertifiedPairs OneToOnePairs(int a, int b, CorrelationRows fit, IReadOnlyList<(int Source, int Target)>? candidates = null,
        CertifiedTransportOptions? options = null, CancellationToken ct = default)
    {
        CheckShape(a, b);
        // One dummy node with zero-cost arcs takes the |a - b| excess, as the dense solver's zero-cost padding does.
        var problem = new Problem(a, b, 1, 1, b - a);
        var diagonal = Enumerable.Range(0, Math.Min(a, b)).Select(i => (i, i));
        var solution = Certify(problem, fit, [.. diagonal, .. Checked(a, b, candidates)], options ?? new(), ct);
        var pairs = new List<(int Source, int Target)>();
        for (int k = 0; k < solution.Arcs.Count; k++)
            if (solution.Flows[k] != 0) pairs.Add((solution.Arcs[k].Source, solution.Arcs[k].Target));
        pairs.Sort();
        return new CertifiedPairs(pairs, solution.Certificate);
    }

    /// <summary>
    /// Sources 0..a-1 supply <paramref name="Supply"/> each, targets a..a+b-1 take <paramref name="Demand"/> each.
    /// DummySupply &gt; 0: node a+b supplies it through zero-cost arcs to every target; &lt; 0: node a+b takes it
    /// through zero-cost arcs from every source. Arc capacities min(Supply, Demand) never bind (no arc can carry
    /// more), so the LP is the uncapacitated transport LP and the residual graph has every forward arc.
    /// </summary>
    private sealed record Problem(int A, int B, long Supply, long Demand, int DummySupply)
    {
        public int Nodes => A + B + (DummySupply == 0 ? 0 : 1);
        public int DummyArcs => DummySupply > 0 ? B : DummySupply < 0 ? A : 0;

        public (int From, int To) DummyArc(int k) => DummySupply > 0 ? (A + B, A + k) : (k, A + B);
    }

    private readonly record struct Arc(int Source, int Target, long Cost);

    /// <summary>Real arcs and their optimal flows (the dummy arcs' flows are dropped).</summary>
    private sealed record Solution(List<Arc> Arcs, long[] Flows, TransportCertificate Certificate);

    private delegate void RowAction(int source, ReadOnlySpan<double> row);

    private static Solution Certify(Problem problem, CorrelationRows fit, IEnumerable<(int Source, int Target)> seeds,
        CertifiedTransportOptions options, CancellationToken ct)
    {
        if (options.TopK < 0 || options.BlockDoubles < 1 || options.ViolatorsPerRow < 1)
            throw new ArgumentOutOfRangeException(nameof(options), $"{options} needs TopK >= 0, BlockDoubles >= 1 and ViolatorsPerRow >= 1.");
        var keys = new HashSet<long>();
        var arcs = InitialCandidates(problem, fit, seeds, keys, options, ct);
        int rounds = 0, added = 0;
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            rounds++;
            var (flows, potential) = SolveWithPotentials(problem, arcs, ct);
            var violators = Violators(problem, fit, potential, keys, options, ct);
            if (violators.Count == 0)
                return new Solution(arcs, flows[..arcs.Count], new TransportCertificate(rounds, arcs.Count, added));
            arcs.AddRange(violators);
            added += violators.Count;
        }
    }

    /// <summary>The seeds plus each source's and each target's TopK best partners, in one pass over the rows.</summary>
    private static List<Arc> InitialCandidates(Problem problem, CorrelationRows fit, IEnumerable<(int Source, int Target)> seeds,
        HashSet<long> keys, CertifiedTransportOptions options, CancellationToken ct)
    {
        int b = problem.B, k = options.TopK;
        var seedKeys = seeds.Select(s => Key(s.Source, s.Target, b)).Distinct().Order().ToArray();
        var arcs = new List<Arc>();
        void Add(int i, int j, double correlation)
        {
            if (keys.Add(Key(i, j, b))) arcs.Add(new Arc(i, j, IntegerCost.Of(correlation)));
        }
        var rowBest = new BestK(1, k);
        var columnBest = new BestK(b, k);
        int next = 0;
        ForEachRow(problem, fit, options, ct, (i, row) =>
        {
            rowBest.Clear(0);
            for (int j = 0; j < row.Length; j++)
            {
                rowBest.Offer(0, row[j], j);
                columnBest.Offer(j, row[j], i);
            }
            foreach (int j in rowBest.Ids(0)) Add(i, j, row[j]);
            for (; next < seedKeys.Length && seedKeys[next] / b == i; next++)
            {
                int j = (int)(seedKeys[next] % b);
                Add(i, j, row[j]);
            }
        });
        for (int j = 0; j < b; j++)
        {
            var ids = columnBest.Ids(j);
            var values = columnBest.Values(j);
            for (int r = 0; r < ids.Length; r++) Add(ids[r], j, values[r]);
        }
        return arcs;
    }

    /// <summary>
    /// The optimal flow on the candidate arcs and node potentials d with c_ij + d_i - d_j &gt;= 0 on every
    /// candidate arc (= 0 where flow runs): shortest distances in the residual graph from a virtual root joined
    /// to every node at cost 0, which exist because an optimal flow leaves no negative cycle.
    /// </summary>
    private static (long[] Flows, long[] Potential) SolveWithPotentials(Problem problem, List<Arc> arcs, CancellationToken ct)
    {
        int a = problem.A, m = arcs.Count + problem.DummyArcs;
        long capacity = Math.Min(problem.Supply, problem.Demand);
        var from = new int[m];
        var to = new int[m];
        var cost = new long[m];
        for (int k = 0; k < arcs.Count; k++) (from[k], to[k], cost[k]) = (arcs[k].Source, a + arcs[k].Target, arcs[k].Cost);
        for (int k = 0; k < problem.DummyArcs; k++) (from[arcs.Count + k], to[arcs.Count + k]) = problem.DummyArc(k);

        var flow = new MinCostFlow(problem.Nodes, m);
        for (int k = 0; k < m; k++) flow.AddArcWithCapacityAndUnitCost(from[k], to[k], capacity, cost[k]);
        for (int i = 0; i < a; i++) flow.SetNodeSupply(i, problem.Supply);
        for (int j = 0; j < problem.B; j++) flow.SetNodeSupply(a + j, -problem.Demand);
        if (problem.DummySupply != 0) flow.SetNodeSupply(a + problem.B, problem.DummySupply);
        var status = flow.Solve();
        if (status != MinCostFlow.Status.OPTIMAL)
            throw new InvalidOperationException($"The min-cost-flow solver returned {status} on a feasible candidate transport problem.");
        var flows = new long[m];
        for (int k = 0; k < m; k++) flows[k] = flow.Flow(k);
        return (flows, ShortestDistances(problem.Nodes, from, to, cost, flows, ct));
    }

    /// <summary>Bellman-Ford with a queue on the residual graph: every forward arc, and the reverse of each arc with flow.</summary>
    private static long[] ShortestDistances(int nodes, int[] from, int[] to, long[] cost, long[] flows, CancellationToken ct)
    {
        var start = new int[nodes + 1];
        for (int k = 0; k < from.Length; k++)
        {
            start[from[k] + 1]++;
            if (flows[k] > 0) start[to[k] + 1]++;
        }
        for (int v = 0; v < nodes; v++) start[v + 1] += start[v];
        var fill = start[..nodes];
        var head = new int[start[nodes]];
        var weight = new long[start[nodes]];
        for (int k = 0; k < from.Length; k++)
        {
            (head[fill[from[k]]], weight[fill[from[k]]++]) = (to[k], cost[k]);
            if (flows[k] > 0) (head[fill[to[k]]], weight[fill[to[k]]++]) = (from[k], -cost[k]);
        }

        var distance = new long[nodes];
        var hops = new int[nodes];
        var queued = new bool[nodes];
        var queue = new Queue<int>(nodes);
        for (int v = 0; v < nodes; v++)
        {
            queue.Enqueue(v);
            queued[v] = true;
        }
        for (long pops = 0; queue.Count > 0; pops++)
        {
            if ((pops & 4095) == 0) ct.ThrowIfCancellationRequested();
            int u = queue.Dequeue();
            queued[u] = false;
            for (int e = start[u]; e < start[u + 1]; e++)
            {
                int v = head[e];
                long d = distance[u] + weight[e];
                if (d >= distance[v]) continue;
                distance[v] = d;
                // A shortest path has fewer arcs than nodes; more means a negative cycle, i.e. the flow was not optimal.
                if ((hops[v] = hops[u] + 1) >= nodes)
                    throw new InvalidOperationException("The min-cost-flow solution left a negative cycle in its residual graph.");
                if (queued[v]) continue;
                queue.Enqueue(v);
                queued[v] = true;
            }
        }
        return distance;
    }

    /// <summary>Prices every pair: per source row, the most negative reduced costs c_ij + d_i - d_j, added to <paramref name="keys"/>.</summary>
    private static List<Arc> Violators(Problem problem, CorrelationRows fit, long[] potential, HashSet<long> keys,
        CertifiedTransportOptions options, CancellationToken ct)
    {
        int a = problem.A, b = problem.B;
        var worst = new BestK(1, options.ViolatorsPerRow);
        var violators = new List<Arc>();
        ForEachRow(problem, fit, options, ct, (i, row) =>
        {
            worst.Clear(0);
            long di = potential[i];
            for (int j = 0; j < row.Length; j++)
            {
                long reduced = IntegerCost.Of(row[j]) + di - potential[a + j];
                if (reduced < 0) worst.Offer(0, -reduced, j);
            }
            foreach (int j in worst.Ids(0))
            {
                // Candidate arcs have reduced cost >= 0 by construction; one priced negative means the callback changed its values.
                if (!keys.Add(Key(i, j, b)))
                    throw new InvalidOperationException($"The correlation of source {i} and target {j} changed between calls.");
                violators.Add(new Arc(i, j, IntegerCost.Of(row[j])));
            }
        });
        return violators;
    }

    /// <summary>Every source row in order, asking the callback for blocks of at most BlockDoubles (but whole rows).</summary>
    private static void ForEachRow(Problem problem, CorrelationRows fit, CertifiedTransportOptions options, CancellationToken ct, RowAction action)
    {
        int a = problem.A, b = problem.B;
        int rowsPerBlock = (int)Math.Clamp(options.BlockDoubles / b, 1, a);
        var block = new double[(long)rowsPerBlock * b];
        for (int first = 0; first < a; first += rowsPerBlock)
        {
            ct.ThrowIfCancellationRequested();
            int rows = Math.Min(rowsPerBlock, a - first);
            var memory = block.AsMemory(0, rows * b);
            fit(first, rows, memory);
            for (int r = 0; r < rows; r++) action(first + r, memory.Span.Slice(r * b, b));
        }
    }

    /// <summary>A feasible transport flow's support (north-west corner rule), so the first candidate problem is feasible.</summary>
    private static IEnumerable<(int Source, int Target)> NorthWestCorner(Problem problem)
    {
        long supply = problem.Supply, demand = problem.Demand;
        for (int i = 0, j = 0; i < problem.A && j < problem.B;)
        {
            yield return (i, j);
            long moved = Math.Min(supply, demand);
            supply -= moved;
            demand -= moved;
            if (supply == 0) (i, supply) = (i + 1, problem.Supply);
            if (demand == 0) (j, demand) = (j + 1, problem.Demand);
        }
    }

    private static IReadOnlyList<(int Source, int Target)> Checked(int a, int b, IReadOnlyList<(int Source, int Target)>? candidates)
    {
        foreach (var (s, t) in candidates ?? [])
            if ((uint)s >= (uint)a || (uint)t >= (uint)b)
                throw new ArgumentOutOfRangeException(nameof(candidates), $"Candidate pair ({s}, {t}) is outside {a} x {b}.");
        return candidates ?? [];
    }

    private static void CheckShape(int a, int b)
    {
        if (a < 1 || b < 1) throw new ArgumentOutOfRangeException(nameof(a), $"{a} x {b}: both sides need at least one unit.");
    }

    private static long Key(int source, int target, int b) => (long)source * b + target;

    private static long Gcd(long x, long y) => y == 0 ? x : Gcd(y, x % y);

    /// <summary>The K largest values offered to each owner with their ids, sorted descending; K is small, so insertion sort.</summary>
    private sealed class BestK(int owners, int k)
    {
        private readonly double[] values = new double[(long)owners * k];
        private readonly int[] ids = new int[(long)owners * k];
        private readonly int[] counts = new int[owners];

        public void Offer(int owner, double value, int id)
        {
            int count = counts[owner], at = owner * k;
            if (count == k && (k == 0 || !(value > values[at + k - 1]))) return;
            int slot = count == k ? k - 1 : count;
            for (; slot > 0 && value > values[at + slot - 1]; slot--)
                (values[at + slot], ids[at + slot]) = (values[at + slot - 1], ids[at + slot - 1]);
            (values[at + slot], ids[at + slot]) = (value, id);
            if (count < k) counts[owner] = count + 1;
        }

        public ReadOnlySpan<int> Ids(int owner) => ids.AsSpan(owner * k, counts[owner]);

        public ReadOnlySpan<double> Values(int owner) => values.AsSpan(owner * k, counts[owner]);

        public void Clear(int owner) => counts[owner] = 0;
    }
}
