using SaeAlign.Core;
using SaeAlign.Data;

namespace SaeAlign.Alignment;

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
            && ParquetPairedRows.CanStream(sourcePath) && ParquetPairedRows.CanStream(targetPath))
            return new ParquetPairedRows(sourcePath, targetPath);
        var source = ActivationFile.Read(sourcePath, ct);
        var target = ActivationFile.Read(targetPath, ct);
        bool bothParquet = IsParquet(sourcePath) && IsParquet(targetPath);
        return new InMemoryPairedRows(source, target, sourcePath, targetPath, compareStimuli: bothParquet);
    }

    private static bool IsParquet(string path) => Path.GetExtension(path).Equals(".parquet", StringComparison.OrdinalIgnoreCase);
}
