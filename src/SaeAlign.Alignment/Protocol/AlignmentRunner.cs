using System.Globalization;
using SaeAlign.Core;
using SaeAlign.Data;
using static SaeAlign.Core.InputField;

namespace SaeAlign.Alignment;

/// <summary>
/// The alignment protocol (src/ARCHITECTURE.md, "Alignment: two routes, one protocol"; metric definitions: README,
/// "Concepts"): one streaming pass collects what the requested metrics
/// need (<see cref="MetricNeeds"/>: per-fold second moments, the stimulus sample, the triplet rows), constant units
/// are dropped and reported, and each metric scores itself from those inputs (<see cref="IAlignmentMetric"/>):
/// fitted metrics fit on the training folds and score on the held-out fold (fold mean and SEM).
/// </summary>
public static class AlignmentRunner
{
    /// <summary>The protocol on <paramref name="rows"/>, with the null and bootstrap replicates the options ask for (<see cref="Calibration"/>).</summary>
    public static AlignmentReport Run(IPairedRows rows, AlignmentOptions options, CancellationToken ct = default)
    {
        Validate(options, rows.Rows);
        MemoryBudget.RequireDenseFits(rows.Rows, rows.SourceUnits, rows.TargetUnits, options, rowsInMemory: rows is not ParquetPairedRows);
        // Replicates re-index the stimuli, so they need the rows in memory, as one array a side.
        if (Calibration.Requested(options))
            InvalidInputException.Require((long)rows.Rows * Math.Max(rows.SourceUnits, rows.TargetUnits) <= Array.MaxLength,
                $"{rows.Rows:N0} stimuli x {Math.Max(rows.SourceUnits, rows.TargetUnits):N0} units are too many to hold in memory for calibration replicates; give {Named("nullPermutations")} 0 and {Named("bootstrap")} 0 to stream them uncalibrated.");
        var observed = Observe(rows, options, ct);
        if (!Calibration.Requested(options)) return observed;
        // Replicates re-index the stimuli, so streamed rows are read into memory once (the budget above counted them).
        var (source, target) = InMemoryPairedRows.Read(rows, ct);
        var once = Calibration.Off(options);
        return Calibration.Add(observed, options,
            (sourceRows, targetRows, metrics) => Observe(new InMemoryPairedRows(
                sourceRows is null ? source : source.Gather(sourceRows), target.Gather(targetRows), compareStimuli: false), once with { Metrics = metrics }, ct),
            MomentNull.Fits(source.Columns, target.Columns, options) ? () => new MomentNull(LiveRows.Of(source), LiveRows.Of(target), once, ct) : null, ct);
    }

    private static AlignmentReport Observe(IPairedRows rows, AlignmentOptions options, CancellationToken ct)
    {
        var metrics = options.Metrics.Select(AlignmentMetric.Get).ToArray();
        var needs = AlignmentMetric.NeedsOf(options.Metrics);
        int sampleSize = Math.Min(rows.Rows, options.Stimuli);

        var cv = options.Cv;
        var folds = cv.Assign(rows.Rows);
        var momentNeeds = needs.HasFlag(MetricNeeds.CrossMoments)
            ? new MomentNeeds(needs.HasFlag(MetricNeeds.SourceGram), needs.HasFlag(MetricNeeds.TargetGram), needs.HasFlag(MetricNeeds.RowNorms))
            : MomentNeeds.UnitsOnly;

        var sample = needs.HasFlag(MetricNeeds.SampledRows) ? Sample(rows.Rows, sampleSize, options.Seed) : [];
        var tripletRows = options.Triplets is { } t && needs.HasFlag(MetricNeeds.TripletRows)
            ? t.SelectMany(x => new[] { x.I, x.J, x.K }).Distinct().Order().ToArray()
            : [];
        var sampleRows = new RowCollector(sample, rows.SourceUnits, rows.TargetUnits);
        var tripletCollector = new RowCollector(tripletRows, rows.SourceUnits, rows.TargetUnits);

        using var accumulator = new MomentAccumulator(rows.SourceUnits, rows.TargetUnits, cv.Folds, momentNeeds, options.Device);
        foreach (var block in rows.Blocks(ct))
        {
            accumulator.Add(block.Source, block.Target, block.Rows, FoldsOf(folds, block));
            sampleRows.Add(block);
            tripletCollector.Add(block);
        }

        var liveX = Live(accumulator.VaryingSource(), "source");
        var liveY = Live(accumulator.VaryingTarget(), "target");
        var buckets = accumulator.Moments().Select(m => m.Select(liveX, liveY)).ToArray();
        var total = buckets.Aggregate((a, b) => a.Plus(b));
        var splits = cv.IsNone
            ? [(Train: total, Test: total)]
            : buckets.Select(test => (Train: total.Minus(test), Test: test)).ToArray();
        string sampleProtocol = sample.Length == rows.Rows
            ? "all rows"
            : string.Create(CultureInfo.InvariantCulture, $"{sample.Length} sampled stimuli (seed {options.Seed})");
        var position = tripletRows.Select((row, k) => (row, k)).ToDictionary(p => p.row, p => p.k);
        var localTriplets = tripletRows.Length == 0
            ? []
            : options.Triplets!.Select(x => new Triplet(position[x.I], position[x.J], position[x.K], position[x.Odd])).ToArray();

        var inputs = new DenseInputs(options, splits, total, () => sampleRows.Matrices(liveX, liveY), sampleProtocol,
            () => tripletCollector.Matrices(liveX, liveY), localTriplets,
            new SecondPassRows(rows, folds, liveX, liveY, accumulator.ShiftX, accumulator.ShiftY));
        var results = new List<MetricResult>();
        foreach (var metric in metrics)
        {
            ct.ThrowIfCancellationRequested();
            results.Add(metric.Score(inputs, ct));
        }
        return new AlignmentReport(rows.Rows, rows.SourceUnits, rows.TargetUnits,
            Dropped(liveX, rows.SourceUnitNames), Dropped(liveY, rows.TargetUnitNames), cv.ToString(), results);
    }

    /// <summary>The checks every run makes before any work: options that cannot work with <paramref name="rows"/> stimuli.</summary>
    internal static void Validate(AlignmentOptions options, int rows)
    {
        options.Validate();
        InvalidInputException.Require(rows >= 3, $"{rows} rows: alignment needs at least 3 stimuli.");
        int sampleSize = Math.Min(rows, options.Stimuli);
        if (options.Metrics.Contains(AlignmentMetric.Mknn))
            InvalidInputException.Require(options.K >= 1 && options.K < sampleSize, $"{Named("k")} must be in 1..{sampleSize - 1} for {sampleSize} stimuli, got {options.K}.");
    }

    /// <summary>The block's rows' folds (empty without CV).</summary>
    internal static ReadOnlySpan<byte> FoldsOf(byte[] folds, RowBlock block) =>
        folds.Length == 0 ? [] : folds.AsSpan(block.FirstRow, block.Rows);

    internal static int[] Live(bool[] varying, string side)
    {
        var live = Enumerable.Range(0, varying.Length).Where(i => varying[i]).ToArray();
        InvalidInputException.Require(live.Length >= 2,
            $"the {side} set has {live.Length} non-constant unit(s) of {varying.Length}; alignment needs at least 2 (constant units, e.g. dead ones, are dropped).");
        return live;
    }

    internal static IReadOnlyList<string> Dropped(int[] live, IReadOnlyList<string> names)
    {
        var keep = live.ToHashSet();
        return names.Where((_, i) => !keep.Contains(i)).ToArray();
    }

    /// <summary>All rows when they fit, else the first <paramref name="size"/> of a seeded shuffle, in row order.</summary>
    private static int[] Sample(int rows, int size, long seed) =>
        size == rows
            ? Enumerable.Range(0, rows).ToArray()
            : CrossValidation.Shuffle(rows, Seeds.Derive(seed, "stimuli")).Take(size).Order().ToArray();

    /// <summary>Copies the listed rows (ascending) out of the block stream.</summary>
    private sealed class RowCollector(int[] wanted, int sourceUnits, int targetUnits)
    {
        private readonly double[] source = new double[(long)wanted.Length * sourceUnits];
        private readonly double[] target = new double[(long)wanted.Length * targetUnits];
        private int next;

        public void Add(RowBlock block)
        {
            while (next < wanted.Length && wanted[next] < block.FirstRow + block.Rows)
            {
                int r = wanted[next] - block.FirstRow;
                for (int u = 0; u < sourceUnits; u++) source[(long)next * sourceUnits + u] = block.Source[(long)r * sourceUnits + u];
                for (int u = 0; u < targetUnits; u++) target[(long)next * targetUnits + u] = block.Target[(long)r * targetUnits + u];
                next++;
            }
        }

        public (Matrix Source, Matrix Target) Matrices(int[] liveX, int[] liveY)
        {
            var rowsIndex = Enumerable.Range(0, wanted.Length).ToArray();
            return (new Matrix(wanted.Length, sourceUnits, source).Select(rowsIndex, liveX),
                new Matrix(wanted.Length, targetUnits, target).Select(rowsIndex, liveY));
        }
    }
}
