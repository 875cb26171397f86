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

    /// <summary>Sets at least this wide are written in the sparse layout when no layout is asked for: SAE codes.</summary>
    public const int SparseWidth = 4096;

    /// <summary>
    /// Copies the activation file <paramref name="input"/> to <paramref name="output"/> in the format the output's extension
    /// names, Parquet in <paramref name="layout"/> (by default sparse from <see cref="SparseWidth"/> units on); a sparse
    /// input is never densified on the way to sparse Parquet. Stimulus ids other than 0 to N - 1, which pair rows across
    /// files and which .npy cannot hold, are refused before anything is written; unit names are dropped, as .npy has none. Returns the rows, units and layout written.
    /// </summary>
    public static (int Rows, int Columns, ActivationLayout Layout) Convert(string input, string output, InputField outputField,
        ActivationLayout? layout = null, CancellationToken ct = default)
    {
        RequireOutputPath(output, outputField);
        InvalidInputException.Require(Path.GetFullPath(input) != Path.GetFullPath(output), $"{outputField}: {output} is the input file; name another file.");
        bool npy = IsNpy(output);
        InvalidInputException.Require(!npy || layout is null or ActivationLayout.Dense,
            $"{InputField.Named("layout")}: {output} is .npy, which is dense; name a .parquet output for the sparse layout.");
        var codes = IsSparseLayout(input) ? ReadCodes(input, ct) : null;
        var set = codes is null ? Read(input, ct) : null;
        long[] stimuli = codes?.Stimuli ?? set!.Stimuli;
        int rows = codes?.Rows ?? set!.Rows, columns = codes?.Columns ?? set!.Columns;
        var written = npy ? ActivationLayout.Dense : layout ?? (columns >= SparseWidth ? ActivationLayout.Sparse : ActivationLayout.Dense);
        if (npy)
        {
            int moved = -1;
            for (int r = 0; r < rows && moved < 0; r++) if (stimuli[r] != r) moved = r;
            InvalidInputException.Require(moved < 0,
                $"{outputField}: .npy holds no stimulus ids, and row {moved} of {input} is stimulus {(moved < 0 ? 0 : stimuli[moved])}; convert to .parquet to keep them.");
        }
        if (codes is not null && written == ActivationLayout.Sparse) ActivationParquet.Write(output, codes);
        else Write(output, outputField, set ?? codes!.ToDense(), written);
        return (rows, columns, written);
    }

    /// <summary>Whether the file is in the sparse Parquet layout (wide codes), read without reading the rows.</summary>
    public static bool IsSparseLayout(string path) =>
        Path.GetExtension(path).Equals(ParquetExtension, StringComparison.OrdinalIgnoreCase) && File.Exists(path)
        && ActivationParquet.IsSparseFile(path);

    private static bool IsNpy(string path) => Path.GetExtension(path).Equals(NpyExtension, StringComparison.OrdinalIgnoreCase);
}
