using SaeAlign.Core;

namespace SaeAlign.Data;

/// <summary>Reads an activation set from any accepted file type (DESIGN.md: Parquet, or .npy wherever Parquet is accepted).</summary>
public static class ActivationFile
{
    /// <summary>
    /// Reads <paramref name="path"/> by its extension (.parquet or .npy). Both readers reject NaN/Inf,
    /// naming the row and column, so what comes back is finite.
    /// </summary>
    public static ActivationSet Read(string path, CancellationToken ct = default) =>
        Path.GetExtension(path).ToLowerInvariant() switch
        {
            ".parquet" => ActivationParquet.Read(path, ct),
            ".npy" => Npy.Read(path),
            var other => throw new InvalidInputException(
                $"{path}: unsupported file type '{other}'; activation files must be .parquet or .npy."),
        };
}
