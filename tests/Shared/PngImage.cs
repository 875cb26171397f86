using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace SaeAlign.Testing;

/// <summary>
/// Reads a PNG far enough to tell a drawn figure from a file that merely exists: the signature, the IHDR size,
/// and the pixels (IDAT inflated and unfiltered), counted by distinct colour. A blank canvas has one colour.
/// Only what the plots write is supported: 8-bit samples, no interlacing, no palette.
/// </summary>
public static class PngImage
{
    private static readonly byte[] Signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    public sealed record Summary(int Width, int Height, int Colours);

    /// <summary>Asserts that <paramref name="path"/> decodes to a <paramref name="width"/> x <paramref name="height"/> image of more than one colour.</summary>
    public static void AssertFigure(string path, int width, int height)
    {
        var png = Read(path);
        Assert.That((png.Width, png.Height), Is.EqualTo((width, height)), $"{path}: size in pixels");
        Assert.That(png.Colours, Is.GreaterThan(1), $"{path}: a blank image");
    }

    public static Summary Read(string path)
    {
        var bytes = File.ReadAllBytes(path);
        Assert.That(bytes.Take(Signature.Length), Is.EqualTo(Signature), $"{path}: PNG signature");
        int width = 0, height = 0, channels = 0;
        using var idat = new MemoryStream();
        for (int at = Signature.Length; at + 8 <= bytes.Length;)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(at));
            string type = Encoding.ASCII.GetString(bytes, at + 4, 4);
            var data = bytes.AsSpan(at + 8, length);
            if (at == Signature.Length)
            {
                Assert.That(type, Is.EqualTo("IHDR"), $"{path}: first chunk");
                width = BinaryPrimitives.ReadInt32BigEndian(data);
                height = BinaryPrimitives.ReadInt32BigEndian(data[4..]);
                Assert.That((data[8], data[12]), Is.EqualTo(((byte)8, (byte)0)), $"{path}: bit depth and interlace method");
                // Colour type -> samples per pixel: grey, RGB, grey + alpha, RGBA.
                channels = data[9] switch { 0 => 1, 2 => 3, 4 => 2, 6 => 4, _ => 0 };
                Assert.That(channels, Is.Positive, $"{path}: colour type {data[9]}");
            }
            if (type == "IDAT") idat.Write(data);
            if (type == "IEND") break;
            at += 12 + length; // length, type, data, CRC
        }
        idat.Position = 0;
        using var inflated = new MemoryStream();
        using (var zlib = new ZLibStream(idat, CompressionMode.Decompress)) zlib.CopyTo(inflated);
        int stride = width * channels;
        var filtered = inflated.ToArray();
        Assert.That(filtered, Has.Length.EqualTo(height * (stride + 1)), $"{path}: image data length");

        var pixels = Unfilter(filtered, height, stride, channels);
        var colours = new HashSet<uint>();
        for (int p = 0; p < pixels.Length; p += channels)
        {
            uint colour = 0;
            for (int c = 0; c < channels; c++) colour = colour << 8 | pixels[p + c];
            colours.Add(colour);
        }
        return new Summary(width, height, colours.Count);
    }

    /// <summary>Undoes each row's filter (PNG spec, section 9): every row starts with a filter-type byte.</summary>
    private static byte[] Unfilter(byte[] filtered, int height, int stride, int bytesPerPixel)
    {
        var pixels = new byte[height * stride];
        for (int row = 0; row < height; row++)
        {
            byte filter = filtered[row * (stride + 1)];
            var source = filtered.AsSpan(row * (stride + 1) + 1, stride);
            var current = pixels.AsSpan(row * stride, stride);
            Span<byte> previous = row == 0 ? new byte[stride] : pixels.AsSpan((row - 1) * stride, stride);
            for (int i = 0; i < stride; i++)
            {
                int left = i >= bytesPerPixel ? current[i - bytesPerPixel] : 0;
                int up = previous[i];
                int upLeft = i >= bytesPerPixel ? previous[i - bytesPerPixel] : 0;
                int predictor = filter switch
                {
                    0 => 0,
                    1 => left,
                    2 => up,
                    3 => (left + up) / 2,
                    4 => Paeth(left, up, upLeft),
                    _ => throw new AssertionException($"row {row}: filter type {filter}"),
                };
                current[i] = (byte)(source[i] + predictor);
            }
        }
        return pixels;
    }

    private static int Paeth(int a, int b, int c)
    {
        int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }
}
