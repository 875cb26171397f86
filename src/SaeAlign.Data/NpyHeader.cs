using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using SaeAlign.Core;

namespace SaeAlign.Data;

/// <summary>
/// What a <c>.npy</c> header (format versions 1-3) says about the array after it: a float16/32/64 element of
/// <paramref name="ElementSize"/> bytes in either byte order, C or Fortran (column-major) order, 2-D or 1-D (read as N x 1).
/// </summary>
internal sealed partial record NpyHeader(int ElementSize, bool BigEndian, bool FortranOrder, int Rows, int Columns)
{
    public static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>NumPy aligns the data start to 64 bytes so that memory-mapped arrays are aligned.</summary>
    private const int Alignment = 64;

    public long DataBytes => (long)Rows * Columns * ElementSize;

    /// <summary>The header's dtype in numpy's spelling, e.g. <c>&gt;f2</c>.</summary>
    public string Descr => $"{(BigEndian ? '>' : '<')}f{ElementSize}";

    /// <summary>Magic, version 1.0, header length and the dict literal, space-padded and ending in a newline as numpy writes it.</summary>
    public byte[] ToBytes()
    {
        string order = FortranOrder ? "True" : "False";
        string dict = string.Create(CultureInfo.InvariantCulture, $"{{'descr': '{Descr}', 'fortran_order': {order}, 'shape': ({Rows}, {Columns}), }}");
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

    /// <summary>Reads the header from the start of <paramref name="stream"/>, leaving it at the first data byte.</summary>
    public static NpyHeader Read(Stream stream, string path)
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
        return Parse(header, path);
    }

    /// <summary>Parses the Python dict literal numpy writes: <c>{'descr': '&lt;f4', 'fortran_order': False, 'shape': (3, 4), }</c>.</summary>
    private static NpyHeader Parse(string header, string path)
    {
        if (!header.StartsWith('{') || !header.EndsWith('}'))
            throw new InvalidInputException($"{path}: malformed .npy header: expected a dict literal, got \"{header}\".");
        var descr = DescrPattern().Match(header);
        var fortran = FortranPattern().Match(header);
        var shape = ShapePattern().Match(header);
        if (!descr.Success || !fortran.Success || !shape.Success)
            throw new InvalidInputException($"{path}: malformed .npy header: expected 'descr', 'fortran_order' and 'shape' keys, got \"{header}\".");

        string dtype = descr.Groups[1].Value;
        var element = FloatPattern().Match(dtype);
        if (!element.Success)
            throw new InvalidInputException(
                $"{path}: dtype '{dtype}' is not supported; expected float16, float32 or float64 in either byte order ('<f2', '<f4', '<f8', '>f2', '>f4', '>f8').");
        // '=' (native) and '|' (not applicable) mean native order to np.load: little-endian on every platform .NET runs on.
        bool bigEndian = element.Groups[1].Value == ">";
        int elementSize = element.Groups[2].Value[0] - '0';

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
        return new NpyHeader(elementSize, bigEndian, fortran.Groups[1].Value == "True", rows, columns);
    }

    [GeneratedRegex(@"['""]descr['""]\s*:\s*['""]([^'""]*)['""]")]
    private static partial Regex DescrPattern();

    [GeneratedRegex(@"^([<>|=]?)f([248])$")]
    private static partial Regex FloatPattern();

    [GeneratedRegex(@"['""]fortran_order['""]\s*:\s*(True|False)")]
    private static partial Regex FortranPattern();

    [GeneratedRegex(@"['""]shape['""]\s*:\s*\(([^)]*)\)")]
    private static partial Regex ShapePattern();
}
