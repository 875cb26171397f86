using System.Text;
using System.Text.Json;

namespace SaeAlign.Data.Tests;

/// <summary>
/// .npy files numpy itself wrote (Fixtures/npy/make_npy_fixtures.py), one per layout numpy produces, read through
/// <see cref="ActivationFile"/> as every command reads them; expected.json holds the values numpy holds, as float32 in C order.
/// </summary>
public sealed class NpyFixtureTests
{
    private static readonly string Folder = Path.Combine(TestContext.CurrentContext.TestDirectory, "Fixtures", "npy");

    private sealed record Expected(string Descr, bool FortranOrder, int[] Shape, float[] Values);

    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private static Dictionary<string, Expected> ExpectedFiles() =>
        JsonSerializer.Deserialize<Dictionary<string, Expected>>(File.ReadAllText(Path.Combine(Folder, "expected.json")), Json)!;

    [TestCase("c_f4.npy")]
    [TestCase("c_f8.npy")]
    [TestCase("fortran_transpose_f4.npy")]
    [TestCase("fortran_asfortran_f4.npy")]
    [TestCase("fortran_fancy_columns_f4.npy")]
    [TestCase("fortran_f8.npy")]
    [TestCase("big_f4.npy")]
    [TestCase("big_f8.npy")]
    [TestCase("little_f2.npy")]
    [TestCase("big_f2.npy")]
    [TestCase("fortran_big_f4.npy")]
    [TestCase("fortran_big_f8.npy")]
    [TestCase("fortran_f2.npy")]
    [TestCase("vector_f4.npy")]
    [TestCase("vector_big_f8.npy")]
    [TestCase("vector_f2.npy")]
    [TestCase("native_order_f4.npy")]
    [TestCase("no_order_f4.npy")]
    public void ReadsTheValuesNumpyWrote(string name)
    {
        var expected = ExpectedFiles()[name];
        string path = Path.Combine(Folder, name);

        var read = ActivationFile.Read(path);

        // The layout under test is really in the file, not just in its name.
        string header = Encoding.Latin1.GetString(File.ReadAllBytes(path).AsSpan(0, 128));
        Assert.That(header, Does.Contain($"'descr': '{expected.Descr}'").And.Contain($"'fortran_order': {(expected.FortranOrder ? "True" : "False")}"));
        Assert.That((read.Rows, read.Columns), Is.EqualTo((expected.Shape[0], expected.Shape.Length == 2 ? expected.Shape[1] : 1)));
        Assert.That(read.Values, Is.EqualTo(expected.Values));
    }

    [Test]
    public void EveryFixtureIsTested()
    {
        var expected = ExpectedFiles().Keys.Order();
        var onDisk = Directory.GetFiles(Folder, "*.npy").Select(Path.GetFileName).Order();
        var tested = typeof(NpyFixtureTests).GetMethod(nameof(ReadsTheValuesNumpyWrote))!
            .GetCustomAttributes(typeof(TestCaseAttribute), false).Cast<TestCaseAttribute>().Select(t => (string)t.Arguments[0]!).Order();

        Assert.That(onDisk, Is.EqualTo(expected));
        Assert.That(tested, Is.EqualTo(expected));
    }

    [Test]
    public void AFortranFileHoldsItsValuesColumnByColumn()
    {
        var c = ExpectedFiles()["c_f4.npy"].Values;
        var bytes = File.ReadAllBytes(Path.Combine(Folder, "fortran_asfortran_f4.npy"));
        int dataStart = 10 + BitConverter.ToUInt16(bytes, 8);

        var stored = Enumerable.Range(0, 15).Select(i => BitConverter.ToSingle(bytes, dataStart + 4 * i)).ToArray();

        // So ReadsTheValuesNumpyWrote passing on it means the reader transposed.
        Assert.That(stored, Is.EqualTo(Enumerable.Range(0, 15).Select(i => c[i % 5 * 3 + i / 5])));
        Assert.That(stored, Is.Not.EqualTo(c));
    }
}
