using SaeAlign.Core;

namespace SaeAlign.Alignment;

/// <summary>A block of consecutive rows of both sets, row-major float32.</summary>
public sealed record RowBlock(int FirstRow, int Rows, float[] Source, float[] Target);

/// <summary>
/// Source and target activations over the same stimuli, read in row blocks; can be enumerated more than once
/// (ridge's leave-one-out pass reads the rows twice). A block's arrays may be reused for the next block: consume
/// a block before moving on.
/// </summary>
public interface IPairedRows
{
    int Rows { get; }
    int SourceUnits { get; }
    int TargetUnits { get; }
    IReadOnlyList<string> SourceUnitNames { get; }
    IReadOnlyList<string> TargetUnitNames { get; }
    IEnumerable<RowBlock> Blocks(CancellationToken ct);
}

/// <summary>Two in-memory activation sets; the rows must be the same stimuli.</summary>
public sealed class InMemoryPairedRows : IPairedRows
{
    private const int BlockRows = 65_536;
    private readonly ActivationSet source;
    private readonly ActivationSet target;

    /// <param name="compareStimuli">Whether the sets' stimulus ids must agree row by row (false when one side has none, e.g. .npy).</param>
    public InMemoryPairedRows(ActivationSet source, ActivationSet target, string sourceName = "source", string targetName = "target", bool compareStimuli = true)
    {
        RequirePaired(source, target, sourceName, targetName, compareStimuli);
        this.source = source;
        this.target = target;
    }

    /// <summary>Throws <see cref="InvalidInputException"/> unless the two sets are finite and their rows the same stimuli.</summary>
    public static void RequirePaired(ActivationSet source, ActivationSet target, string sourceName, string targetName, bool compareStimuli)
    {
        if (source.Rows != target.Rows)
            throw new InvalidInputException($"{sourceName} has {source.Rows} rows but {targetName} has {target.Rows}; rows must be the same stimuli.");
        for (int r = 0; compareStimuli && r < source.Rows; r++)
            if (source.Stimuli[r] != target.Stimuli[r])
                throw new InvalidInputException(
                    $"row {r}: {sourceName} has stimulus {source.Stimuli[r]} but {targetName} has {target.Stimuli[r]}; rows must be the same stimuli in the same order.");
        source.EnsureFinite(sourceName);
        target.EnsureFinite(targetName);
    }

    /// <summary>Both sets of <paramref name="rows"/> in memory (the sets themselves when they already are).</summary>
    public static (ActivationSet Source, ActivationSet Target) Read(IPairedRows rows, CancellationToken ct)
    {
        if (rows is InMemoryPairedRows held) return (held.source, held.target);
        var source = new float[(long)rows.Rows * rows.SourceUnits];
        var target = new float[(long)rows.Rows * rows.TargetUnits];
        foreach (var block in rows.Blocks(ct))
        {
            block.Source.AsSpan(0, block.Rows * rows.SourceUnits).CopyTo(source.AsSpan(block.FirstRow * rows.SourceUnits));
            block.Target.AsSpan(0, block.Rows * rows.TargetUnits).CopyTo(target.AsSpan(block.FirstRow * rows.TargetUnits));
        }
        return (new ActivationSet(source, rows.Rows, rows.SourceUnits, unitNames: rows.SourceUnitNames),
            new ActivationSet(target, rows.Rows, rows.TargetUnits, unitNames: rows.TargetUnitNames));
    }

    public int Rows => source.Rows;
    public int SourceUnits => source.Columns;
    public int TargetUnits => target.Columns;
    public IReadOnlyList<string> SourceUnitNames => source.UnitNames;
    public IReadOnlyList<string> TargetUnitNames => target.UnitNames;

    public IEnumerable<RowBlock> Blocks(CancellationToken ct)
    {
        // Full blocks share one buffer pair (a block is consumed before the next is asked for): fresh 16 MB
        // arrays per block would be large-object garbage that the GC collects late, gigabytes over a pass at full scale.
        float[]? sourceBuffer = null, targetBuffer = null;
        for (int start = 0; start < Rows; start += BlockRows)
        {
            ct.ThrowIfCancellationRequested();
            int rows = Math.Min(BlockRows, Rows - start);
            var x = rows == BlockRows ? sourceBuffer ??= new float[BlockRows * SourceUnits] : new float[rows * SourceUnits];
            var y = rows == BlockRows ? targetBuffer ??= new float[BlockRows * TargetUnits] : new float[rows * TargetUnits];
            source.Values.AsSpan(start * SourceUnits, rows * SourceUnits).CopyTo(x);
            target.Values.AsSpan(start * TargetUnits, rows * TargetUnits).CopyTo(y);
            yield return new RowBlock(start, rows, x, y);
        }
    }
}
