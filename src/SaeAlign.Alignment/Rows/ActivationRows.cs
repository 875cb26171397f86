using SaeAlign.Core;
using SaeAlign.Data;

namespace SaeAlign.Alignment;

/// <summary>A source/target pair of activation files, opened for the alignment protocol on the route that fits them.</summary>
public interface IAlignmentInput
{
    int Rows { get; }
    int SourceUnits { get; }
    int TargetUnits { get; }
    AlignmentReport Align(AlignmentOptions options, CancellationToken ct = default);
}

/// <summary>Opens a source/target pair of activation files (.parquet or .npy) as paired rows, checking they are the same stimuli.</summary>
public static class ActivationRows
{
    /// <summary>
    /// Streams two dense Parquet files, else reads both files whole; stimulus ids are compared only when both are Parquet (.npy has none). Errors name the file,
    /// row and column (NaN/Inf, malformed headers, different row counts, mismatched stimulus ids).
    /// </summary>
    public static IPairedRows Open(string sourcePath, string targetPath, CancellationToken ct = default)
    {
        // Dense Parquet pairs stream by row group (memory independent of the row count); the rest is read whole.
        if (IsParquet(sourcePath) && IsParquet(targetPath) && File.Exists(sourcePath) && File.Exists(targetPath)
            && ActivationParquetStream.CanStream(sourcePath) && ActivationParquetStream.CanStream(targetPath))
            return new ParquetPairedRows(sourcePath, targetPath);
        var source = ActivationFile.Read(sourcePath, ct);
        var target = ActivationFile.Read(targetPath, ct);
        return new InMemoryPairedRows(source, target, sourcePath, targetPath, compareStimuli: IsParquet(sourcePath) && IsParquet(targetPath));
    }

    /// <summary>
    /// The pair on its route: when either file holds sparse codes (the sparse Parquet layout, as <c>sae encode</c> writes)
    /// both are read sparse and aligned by <see cref="SparseAlignmentRunner"/>, never as N x d_sae arrays; otherwise as
    /// <see cref="Open"/> and <see cref="AlignmentRunner"/>.
    /// </summary>
    public static IAlignmentInput OpenForAlignment(string sourcePath, string targetPath, CancellationToken ct = default)
    {
        InputFile.RequireReadable(sourcePath);
        InputFile.RequireReadable(targetPath);
        if (!ActivationFile.IsSparseLayout(sourcePath) && !ActivationFile.IsSparseLayout(targetPath))
            return new DenseInput(Open(sourcePath, targetPath, ct));
        var source = ActivationFile.ReadCodes(sourcePath, ct);
        var target = ActivationFile.ReadCodes(targetPath, ct);
        if (source.Rows != target.Rows)
            throw new InvalidInputException($"{sourcePath} has {source.Rows} rows but {targetPath} has {target.Rows}; rows must be the same stimuli.");
        for (int r = 0; IsParquet(sourcePath) && IsParquet(targetPath) && r < source.Rows; r++)
            if (source.Stimuli[r] != target.Stimuli[r])
                throw new InvalidInputException(
                    $"row {r}: {sourcePath} has stimulus {source.Stimuli[r]} but {targetPath} has {target.Stimuli[r]}; rows must be the same stimuli in the same order.");
        return new SparseInput(source, target);
    }

    private static bool IsParquet(string path) => Path.GetExtension(path).Equals(".parquet", StringComparison.OrdinalIgnoreCase);

    private sealed class DenseInput(IPairedRows rows) : IAlignmentInput
    {
        public int Rows => rows.Rows;
        public int SourceUnits => rows.SourceUnits;
        public int TargetUnits => rows.TargetUnits;
        public AlignmentReport Align(AlignmentOptions options, CancellationToken ct = default) => AlignmentRunner.Run(rows, options, ct);
    }

    private sealed class SparseInput(SparseCodes source, SparseCodes target) : IAlignmentInput
    {
        public int Rows => source.Rows;
        public int SourceUnits => source.Columns;
        public int TargetUnits => target.Columns;

        public AlignmentReport Align(AlignmentOptions options, CancellationToken ct = default) =>
            SparseAlignmentRunner.Run(source, target, options, ct);
    }
}
