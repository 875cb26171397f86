using System.Buffers.Binary;
using System.Runtime.InteropServices;
using SaeAlign.Core;

namespace SaeAlign.Data;

/// <summary>
/// NumPy <c>.npy</c> files as numpy writes them (README, "File formats": .npy): 2-D or 1-D (read as N x 1) float16, float32
/// or float64, either byte order, C or Fortran order, read as float32 row-major activation sets. Writes float32, C order, version 1.0.
/// </summary>
public static class Npy
{
    /// <summary>Values decoded per chunk: bounds the memory beyond the result and keeps byte spans within int indexing.</summary>
    private const int ChunkValues = 1 << 20;

    /// <summary>Columns a Fortran-order piece spans at least: 64 float32 values are four 64-byte cache lines of a result row.</summary>
    private const int PieceColumns = 64;

    /// <summary>Reads the array as float32 (float16 widens, float64 rounds); non-finite values are an error naming row and column.</summary>
    public static ActivationSet Read(string path)
    {
        InputFile.RequireReadable(path);
        using var stream = File.OpenRead(path);
        var header = NpyHeader.Read(stream, path);
        long availableBytes = stream.Length - stream.Position;
        if (availableBytes < header.DataBytes)
            throw new InvalidInputException(
                $"{path}: truncated: the header promises {header.Rows} x {header.Columns} '{header.Descr}' values ({header.DataBytes} bytes) but {availableBytes} bytes follow.");

        var values = new float[(long)header.Rows * header.Columns];
        var buffer = new byte[Math.Min(ChunkValues, values.Length) * header.ElementSize];
        if (header.FortranOrder) ReadColumnMajor(stream, header, buffer, values);
        else
        {
            for (int start = 0; start < values.Length; start += ChunkValues)
                ReadValues(stream, header, buffer, values.AsSpan(start, Math.Min(ChunkValues, values.Length - start)));
        }
        var set = new ActivationSet(values, header.Rows, header.Columns);
        set.EnsureFinite(path);
        return set;
    }

    public static void Write(string path, ActivationSet set) => Write(path, set.Values, set.Rows, set.Columns);

    /// <summary>Writes a <paramref name="rows"/> x <paramref name="columns"/> row-major array as '&lt;f4', C order, format 1.0.</summary>
    public static void Write(string path, float[] values, int rows, int columns)
    {
        if (rows < 0 || columns < 0 || (long)rows * columns != values.Length)
            throw new ArgumentException($"{values.Length} values do not fill {rows} rows x {columns} columns.", nameof(values));
        var header = new NpyHeader(sizeof(float), BigEndian: false, FortranOrder: false, rows, columns).ToBytes();
        AtomicFile.Write(path, temp =>
        {
            using var stream = File.Create(temp);
            stream.Write(header);
            for (int start = 0; start < values.Length; start += ChunkValues)
                stream.Write(MemoryMarshal.AsBytes(values.AsSpan(start, Math.Min(ChunkValues, values.Length - start))));
        });
    }

    /// <summary>
    /// Column-major data is read in pieces of a few columns by many rows and transposed into the row-major result, so that a
    /// large file never needs a second full-size copy. A piece is at least <see cref="PieceColumns"/> wide (unless the array is
    /// narrower), so that each visit to a row of the result fills whole cache lines rather than one value of each.
    /// </summary>
    private static void ReadColumnMajor(Stream stream, NpyHeader header, byte[] buffer, float[] values)
    {
        int rows = header.Rows, columns = header.Columns;
        long dataStart = stream.Position;
        int width = Math.Min(columns, Math.Max(PieceColumns, ChunkValues / Math.Max(1, rows)));
        int height = Math.Min(rows, ChunkValues / Math.Max(1, width));
        var piece = new float[(long)width * height];
        for (int c0 = 0; c0 < columns; c0 += width)
        {
            int w = Math.Min(width, columns - c0);
            for (int r0 = 0; r0 < rows; r0 += height)
            {
                int h = Math.Min(height, rows - r0);
                // Whole columns lie one after another in the file and are read at once; parts of columns one column at a time.
                int runs = h == rows ? 1 : w, runLength = h == rows ? w * h : h;
                for (int j = 0; j < runs; j++)
                {
                    stream.Position = dataStart + ((long)(c0 + j) * rows + r0) * header.ElementSize;
                    ReadValues(stream, header, buffer, piece.AsSpan(j * runLength, runLength));
                }
                for (int r = 0; r < h; r++)
                {
                    long target = (long)(r0 + r) * columns + c0;
                    for (int c = 0; c < w; c++) values[target + c] = piece[c * h + r];
                }
            }
        }
    }

    /// <summary>Reads <paramref name="target"/>'s length of elements in file order and widens or rounds them to float32.</summary>
    private static void ReadValues(Stream stream, NpyHeader header, byte[] buffer, Span<float> target)
    {
        var bytes = buffer.AsSpan(0, target.Length * header.ElementSize);
        stream.ReadExactly(bytes);
        // Every platform .NET runs on is little-endian, so little-endian data is used as is and big-endian data is swapped in place.
        switch (header.ElementSize)
        {
            case 2:
                var halves = MemoryMarshal.Cast<byte, ushort>(bytes);
                if (header.BigEndian) BinaryPrimitives.ReverseEndianness(halves, halves);
                var half = MemoryMarshal.Cast<ushort, Half>(halves);
                for (int i = 0; i < target.Length; i++) target[i] = (float)half[i];
                break;
            case 4:
                var singles = MemoryMarshal.Cast<byte, uint>(bytes);
                if (header.BigEndian) BinaryPrimitives.ReverseEndianness(singles, singles);
                MemoryMarshal.Cast<uint, float>(singles).CopyTo(target);
                break;
            default:
                var doubles = MemoryMarshal.Cast<byte, ulong>(bytes);
                if (header.BigEndian) BinaryPrimitives.ReverseEndianness(doubles, doubles);
                var wide = MemoryMarshal.Cast<ulong, double>(doubles);
                for (int i = 0; i < target.Length; i++) target[i] = (float)wide[i];
                break;
        }
    }
}
