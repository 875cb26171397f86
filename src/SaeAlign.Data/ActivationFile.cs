using SaeAlign.Core;

namespace SaeAlign.Data;

/// <summary>
/// Reads and writes an activation set in any accepted file type, chosen by the extension (README, "File formats": Parquet, or .npy wherever
/// Parquet is accepted; an output named .npy is a real .npy). The one place that maps an extension to a format.
/// </summary>
public static class ActivationFile
{
    private const string ParquetExtension = ".parquet";
    private const string NpyExtension = ".npy";

    /// <summary>
    /// Reads <paramref name="path"/> by its extension (.parquet or .npy). Both readers reject NaN/Inf,
    /// naming the row and column, so what comes back is finite; a file without rows or units is refused here,
    /// naming it, rather than failing later inside a metric or a trainer.
    /// </summary>
    public static ActivationSet Read(string path, CancellationToken ct = default)
    {
        InputFile.RequireReadable(path);
        var set = Path.GetExtension(path).ToLowerInvariant() switch
        {
            ParquetExtension => ActivationParquet.Read(path, ct),
            NpyExtension => Npy.Read(path),
            var other => throw new InvalidInputException(
                $"{path}: unsupported file type '{other}'; activation files must be .parquet or .npy."),
        };
        InvalidInputException.Require(set.Columns >= 1, $"{path}: has no unit columns; an activation file needs at least one unit.");
        InvalidInputException.Require(set.Rows >= 1, $"{path}: has no rows; an activation file needs at least one stimulus.");
        return set;
    }

    /// <summary>
    /// Throws <see cref="InvalidInputException"/> naming <paramref name="field"/> unless <paramref name="path"/> can receive an
    /// activation set: not a directory, and named .npy or .parquet. Commands call it before any work, so a bad output costs nothing.
    /// </summary>
    public static void RequireOutputPath(string path, InputField field)
    {
        InvalidInputException.Require(!Directory.Exists(path), $"{field}: {path} is a directory; name a .npy or .parquet file.");
        string extension = Path.GetExtension(path).ToLowerInvariant();
        InvalidInputException.Require(extension is ParquetExtension or NpyExtension,
            $"{field}: {path} has {(extension.Length == 0 ? "no extension" : $"extension '{extension}'")}; an activation output must be .npy (dense float32) or .parquet.");
    }

    /// <summary>
    /// Writes <paramref name="set"/> in the format <paramref name="path"/>'s extension names: .npy as dense float32 in C order
    /// (numpy has no sparse layout, and <paramref name="parquetLayout"/> and <paramref name="metadata"/> have no place in it),
    /// .parquet in <paramref name="parquetLayout"/> with <paramref name="metadata"/>. Any other path is refused as
    /// <see cref="RequireOutputPath"/> refuses it.
    /// </summary>
    public static void Write(string path, InputField field, ActivationSet set, ActivationLayout parquetLayout = ActivationLayout.Dense,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        RequireOutputPath(path, field);
        if (IsNpy(path)) Npy.Write(path, set);
        else ActivationParquet.Write(path, set, parquetLayout, metadata);
    }

    /// <summary>Sparse codes: Parquet keeps them sparse; .npy has no sparse layout, so they are written dense.</summary>
    public static void Write(string path, InputField field, SparseCodes codes, IReadOnlyDictionary<string, string>? metadata = null)
    {
        RequireOutputPath(path, field);
        if (IsNpy(path)) Npy.Write(path, codes.ToDense());
        else ActivationParquet.Write(path, codes, metadata);
    }

    /// <summary>
    /// Reads an activation file as sparse codes (a sparse Parquet layout is never densified; other files keep their
    /// nonzeros), with the checks of <see cref="Read"/>.
    /// </summary>
    public static SparseCodes ReadCodes(string path, CancellationToken ct = default)
    {
        InputFile.RequireReadable(path);
        var codes = Path.GetExtension(path).Equals(ParquetExtension, StringComparison.OrdinalIgnoreCase)
            ? ActivationParquet.ReadCodes(path, ct)
            : SparseCodes.FromDense(Read(path, ct));
        InvalidInputException.Require(codes.Columns >= 1, $"{path}: has no unit columns; an activation file needs at least one unit.");
        InvalidInputException.Require(codes.Rows >= 1, $"{path}: has no rows; an activation file needs at least one stimulus.");
        return codes;
    }

    /// <summary>Whether the file is in the sparse Parquet layout (wide codes), read without reading the rows.</summary>
    public static bool IsSparseLayout(string path) =>
        Path.GetExtension(path).Equals(ParquetExtension, StringComparison.OrdinalIgnoreCase) && File.Exists(path)
        && ActivationParquet.IsSparseFile(path);

    private static bool IsNpy(string path) => Path.GetExtension(path).Equals(NpyExtension, StringComparison.OrdinalIgnoreCase);
}
