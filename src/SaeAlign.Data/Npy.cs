using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;
using SaeAlign.Core;

namespace SaeAlign.Data;

/// <summary>
/// NumPy <c>.npy</c> files (format versions 1-3): 2-D (or 1-D, read as N x 1) little-endian float32 or
/// float64 arrays in C order are activation sets (DESIGN.md, data contracts). Writes float32, version 1.0.
/// </summary>
public static partial class Npy
{
    private static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>NumPy aligns the data start to 64 bytes so that memory-mapped arrays are aligned.</summary>
    private const int Alignment = 64;

    /// <summary>Values copied per chunk, so that no byte span outgrows int indexing on large arrays.</summary>
    private const int ChunkValues = 1 << 20;

    /// <summary>Reads a float32 or float64 array (float64 is converted); non-finite values are an error naming row and column.</summary>
    public static ActivationSet Read(string path)
    {
        if (!File.Exists(path)) throw new InvalidInputException($"{path}: file not found.");
        using var stream = File.OpenRead(path);
        var (descr, rows, columns) = ReadHeader(stream, path);
        var values = new float[(long)rows * columns];
        long expectedBytes = (long)values.Length * (descr == "<f4" ? 4 : 8);
        long availableBytes = stream.Length - stream.Position;
        if (availableBytes < expectedBytes)
            throw new InvalidInputException(
                $"{path}: truncated: the header promises {rows} x {columns} '{descr}' values ({expectedBytes} bytes) but {availableBytes} bytes follow.");

        // .npy data is little-endian here, as is every platform .NET runs on, so bytes copy straight in.
        var doubles = descr == "<f8" ? new double[Math.Min(ChunkValues, values.Length)] : null;
        for (int start = 0; start < values.Length; start += ChunkValues)
        {
            int count = Math.Min(ChunkValues, values.Length - start);
            var target = values.AsSpan(start, count);
            if (doubles is null)
            {
                stream.ReadExactly(MemoryMarshal.AsBytes(target));
            }
            else
            {
                stream.ReadExactly(MemoryMarshal.AsBytes(doubles.AsSpan(0, count)));
                for (int i = 0; i < count; i++) target[i] = (float)doubles[i];
            }
        }
        var set = new ActivationSet(values, rows, columns);
        set.EnsureFinite(path);
        return set;
    }

    public static void Write(string path, ActivationSet set) => Write(path, set.Values, set.Rows, set.Columns);

    /// <summary>Writes a <paramref name="rows"/> x <paramref name="columns"/> row-major array as '&lt;f4', C order, format 1.0.</summary>
    public static void Write(string path, float[] values, int rows, int columns)
    {
        if (rows < 0 || columns < 0 || (long)rows * columns != values.Length)
            throw new ArgumentException($"{values.Length} values do not fill {rows} rows x {columns} columns.", nameof(values));
        var header = Header(rows, columns);
        AtomicFile.Write(path, temp =>
        {
            using var stream = File.Create(temp);
            stream.Write(header);
            for (int start = 0; start < values.Length; start += ChunkValues)
                stream.Write(MemoryMarshal.AsBytes(values.AsSpan(start, Math.Min(ChunkValues, values.Length - start))));
        });
    }

    /// <summary>Magic, version 1.0, header length and the dict literal, space-padded and ending in a newline as numpy writes it.</summary>
    private static byte[] Header(int rows, int columns)
    {
        string dict = string.Create(CultureInfo.InvariantCulture, $"{{'descr': '<f4', 'fortran_order': False, 'shape': ({rows}, {columns}), }}");
        int prefix = Magic.Length + 2 + 2;
        int padded = (prefix + dict.Length + 1 + Alignment - 1) / Alignment * Alignment;
        string text = dict.PadRight(padded - prefix - 1) + "\n";
        var header = new byte[padded];
        Magic.CopyTo(header, 0);
        header[6] = 1;
        header[7] = 0;
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(8), (ushort)text.Length);
        Encoding.ASCII.GetBytes(text, header.AsSpan(prefix));
        return header;
    }

    private static (string Descr, int Rows, int Columns) ReadHeader(Stream stream, string path)
    {
        Span<byte> prefix = stackalloc byte[12];
        if (stream.ReadAtLeast(prefix[..8], 8, throwOnEndOfStream: false) < 8 || !prefix[..6].SequenceEqual(Magic))
            throw new InvalidInputException($"{path}: not a .npy file (no \\x93NUMPY magic).");
        byte major = prefix[6];
        int lengthBytes = major switch
        {
            1 => 2,
            2 or 3 => 4,
            _ => throw new InvalidInputException($"{path}: .npy format version {major}.{prefix[7]} is not supported (1.0 to 3.0 are)."),
        };
        if (stream.ReadAtLeast(prefix.Slice(8, lengthBytes), lengthBytes, throwOnEndOfStream: false) < lengthBytes)
            throw new InvalidInputException($"{path}: malformed .npy header: the file ends inside the header length.");
        long headerLength = lengthBytes == 2
            ? BinaryPrimitives.ReadUInt16LittleEndian(prefix[8..])
            : BinaryPrimitives.ReadUInt32LittleEndian(prefix[8..]);
        if (headerLength > stream.Length - stream.Position)
            throw new InvalidInputException($"{path}: malformed .npy header: it claims {headerLength} bytes but the file is shorter.");
        var headerBytes = new byte[headerLength];
        stream.ReadExactly(headerBytes);
        string header = (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetString(headerBytes).Trim();
        return ParseHeader(header, path);
    }

    /// <summary>Parses the Python dict literal numpy writes: <c>{'descr': '&lt;f4', 'fortran_order': False, 'shape': (3, 4), }</c>.</summary>
    private static (string Descr, int Rows, int Columns) ParseHeader(string header, string path)
    {
        if (!header.StartsWith('{') || !header.EndsWith('}'))
            throw new InvalidInputException($"{path}: malformed .npy header: expected a dict literal, got \"{header}\".");
        var descr = DescrPattern().Match(header);
        var fortran = FortranPattern().Match(header);
        var shape = ShapePattern().Match(header);
        if (!descr.Success || !fortran.Success || !shape.Success)
            throw new InvalidInputException($"{path}: malformed .npy header: expected 'descr', 'fortran_order' and 'shape' keys, got \"{header}\".");

        string dtype = descr.Groups[1].Value;
        if (dtype is not ("<f4" or "<f8"))
            throw new InvalidInputException($"{path}: dtype '{dtype}' is not supported; expected little-endian float32 '<f4' or float64 '<f8'.");
        if (fortran.Groups[1].Value == "True")
            throw new InvalidInputException($"{path}: the array is in Fortran order; save a C-order array (numpy.ascontiguousarray).");

        var dims = new List<int>();
        foreach (var part in shape.Groups[1].Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out int dim))
                throw new InvalidInputException($"{path}: malformed .npy header: shape entry '{part}' is not a non-negative integer.");
            dims.Add(dim);
        }
        var (rows, columns) = dims.Count switch
        {
            1 => (dims[0], 1),
            2 => (dims[0], dims[1]),
            _ => throw new InvalidInputException(
                $"{path}: the array has {dims.Count} dimensions; an activation set is 2-D (stimuli x units) or 1-D."),
        };
        if ((long)rows * columns > Array.MaxLength)
            throw new InvalidInputException($"{path}: {rows} x {columns} values is more than one array can hold.");
        return (dtype, rows, columns);
    }

    [GeneratedRegex(@"['""]descr['""]\s*:\s*['""]([^'""]*)['""]")]
    private static partial Regex DescrPattern();

    [GeneratedRegex(@"['""]fortran_order['""]\s*:\s*(True|False)")]
    private static partial Regex FortranPattern();

    [GeneratedRegex(@"['""]shape['""]\s*:\s*\(([^)]*)\)")]
    private static partial Regex ShapePattern();
}
