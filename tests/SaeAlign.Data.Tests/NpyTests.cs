using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using SaeAlign.Core;

namespace SaeAlign.Data.Tests;

public sealed class NpyTests : TempFolderTest
{
    [Test]
    public void Float32RoundTripWithANumpyStyleHeader()
    {
        var set = Samples.Activations(rows: 3, columns: 4);
        string path = PathOf("a.npy");

        Npy.Write(path, set);
        var read = Npy.Read(path);

        var bytes = File.ReadAllBytes(path);
        int headerLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8));
        string header = Encoding.ASCII.GetString(bytes, 10, headerLength);
        Assert.That(bytes[..8], Is.EqualTo(new byte[] { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0 }));
        Assert.That((10 + headerLength) % 64, Is.Zero);
        Assert.That(header, Does.StartWith("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }").And.EndWith("\n"));
        Assert.That(bytes, Has.Length.EqualTo(10 + headerLength + 12 * 4));
        Assert.That(read.Rows, Is.EqualTo(3));
        Assert.That(read.Columns, Is.EqualTo(4));
        Assert.That(read.Values, Is.EqualTo(set.Values));
    }

    [Test]
    public void ReadsAHandBuiltFloat64ArrayAsFloat32()
    {
        string path = PathOf("f8.npy");
        File.WriteAllBytes(path, NpyBytes("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }", Doubles(0.5, -1, 2, 1e-3, 3.25, 100)));

        var read = Npy.Read(path);

        Assert.That(read.Rows, Is.EqualTo(2));
        Assert.That(read.Columns, Is.EqualTo(3));
        Assert.That(read.Values, Is.EqualTo(new[] { 0.5f, -1f, 2f, 1e-3f, 3.25f, 100f }));
    }

    [Test]
    public void AOneDimensionalArrayIsASingleColumn()
    {
        string path = PathOf("vector.npy");
        File.WriteAllBytes(path, NpyBytes("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", Doubles(1, 2, 3)));

        var read = Npy.Read(path);

        Assert.That((read.Rows, read.Columns), Is.EqualTo((3, 1)));
        Assert.That(read.Values, Is.EqualTo(new[] { 1f, 2f, 3f }));
    }

    [TestCase("{'descr': '<i4', 'fortran_order': False, 'shape': (2, 1), }", "dtype '<i4' is not supported")]
    [TestCase("{'descr': '>c8', 'fortran_order': True, 'shape': (2, 1), }", "dtype '>c8' is not supported")]
    [TestCase("{'descr': '<f16', 'fortran_order': False, 'shape': (2, 1), }", "dtype '<f16' is not supported")]
    [TestCase("{'descr': '<f4', 'fortran_order': False, }", "malformed .npy header")]
    [TestCase("not a dict", "malformed .npy header")]
    [TestCase("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 1, 1), }", "3 dimensions")]
    [TestCase("{'descr': '<f4', 'fortran_order': False, 'shape': (2, x), }", "shape entry 'x'")]
    public void BadHeadersAreInvalidInputNamingFileAndProblem(string header, string problem)
    {
        string path = PathOf("bad.npy");
        File.WriteAllBytes(path, NpyBytes(header, new byte[8]));

        var error = Assert.Throws<InvalidInputException>(() => Npy.Read(path));

        Assert.That(error!.Message, Does.Contain(path).And.Contain(problem));
    }

    [Test]
    public void TruncatedDataAndMissingMagicAreInvalidInput()
    {
        string truncated = PathOf("truncated.npy");
        string noMagic = PathOf("nomagic.npy");
        File.WriteAllBytes(truncated, NpyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }", new byte[12]));
        File.WriteAllText(noMagic, "just text");

        var truncatedError = Assert.Throws<InvalidInputException>(() => Npy.Read(truncated));
        var magicError = Assert.Throws<InvalidInputException>(() => Npy.Read(noMagic));

        Assert.That(truncatedError!.Message, Does.Contain(truncated).And.Contain("truncated").And.Contain("16 bytes").And.Contain("12 bytes follow"));
        Assert.That(magicError!.Message, Does.Contain(noMagic).And.Contain("not a .npy file"));
    }

    // Larger than one chunk (2^20 values) so that the piece-wise transpose crosses pieces: short arrays are read many whole
    // columns at a time, tall ones part of each column at a time, and in between pieces are cut along both axes.
    [TestCase(3, 400_000)]
    [TestCase(1_100_000, 2)]
    [TestCase(20_000, 100)]
    public void AFortranOrderArrayLargerThanAChunkIsTransposedToRows(int rows, int columns)
    {
        string path = PathOf("fortran.npy");
        var columnMajor = new float[rows * columns];
        for (int c = 0, i = 0; c < columns; c++)
            for (int r = 0; r < rows; r++) columnMajor[i++] = r * columns + c;
        File.WriteAllBytes(path, NpyBytes($"{{'descr': '<f4', 'fortran_order': True, 'shape': ({rows}, {columns}), }}", MemoryMarshal.AsBytes(columnMajor.AsSpan()).ToArray()));

        var read = Npy.Read(path);

        Assert.That((read.Rows, read.Columns), Is.EqualTo((rows, columns)));
        // Value i belongs at row-major index i: the first index holding another value, if any (NUnit's equality of a million items takes seconds).
        Assert.That(Enumerable.Range(0, read.Values.Length).FirstOrDefault(i => read.Values[i] != i, -1), Is.EqualTo(-1));
    }

    [Test]
    public void NaNInAFortranOrderArrayNamesItsRowAndColumn()
    {
        string path = PathOf("nan.npy");
        // Column-major 2 x 3: the fourth stored value is row 1, column 1.
        File.WriteAllBytes(path, NpyBytes("{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }", Doubles(1, 2, 3, double.NaN, 5, 6)));

        var error = Assert.Throws<InvalidInputException>(() => Npy.Read(path));

        Assert.That(error!.Message, Does.Contain(path).And.Contain("row 1, column 1"));
    }

    [Test]
    public void TruncatedFloat16DataCountsTwoBytesAValue()
    {
        string path = PathOf("truncated.npy");
        File.WriteAllBytes(path, NpyBytes("{'descr': '>f2', 'fortran_order': True, 'shape': (2, 3), }", new byte[10]));

        var error = Assert.Throws<InvalidInputException>(() => Npy.Read(path));

        Assert.That(error!.Message, Does.Contain(path).And.Contain("'>f2'").And.Contain("12 bytes").And.Contain("10 bytes follow"));
    }

    [Test]
    public void NaNIsAnErrorNamingRowAndColumn()
    {
        string path = PathOf("nan.npy");
        Npy.Write(path, [1, 2, 3, float.NaN, 5, 6], rows: 3, columns: 2);

        var error = Assert.Throws<InvalidInputException>(() => Npy.Read(path));

        Assert.That(error!.Message, Does.Contain(path).And.Contain("row 1, column 1"));
    }

    /// <summary>An .npy v1.0 file as numpy lays it out: magic, version, header length, padded header, data.</summary>
    private static byte[] NpyBytes(string dict, byte[] data)
    {
        int padded = (10 + dict.Length + 1 + 63) / 64 * 64;
        string header = dict.PadRight(padded - 10 - 1) + "\n";
        var bytes = new List<byte> { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0, (byte)(header.Length & 0xff), (byte)(header.Length >> 8) };
        bytes.AddRange(Encoding.ASCII.GetBytes(header));
        bytes.AddRange(data);
        return bytes.ToArray();
    }

    private static byte[] Doubles(params double[] values)
    {
        var bytes = new byte[values.Length * 8];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteDoubleLittleEndian(bytes.AsSpan(i * 8), values[i]);
        return bytes;
    }
}
