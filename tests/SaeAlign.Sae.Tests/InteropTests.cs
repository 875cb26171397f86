using System.Diagnostics;
using System.Text.Json;
using SaeAlign.Core;
using SaeAlign.Data;
using SaeAlign.Testing;

namespace SaeAlign.Sae.Tests;

/// <summary>Dictionaries to and from Parquet and SAELens folders, including folders written and read by PyTorch.</summary>
public class InteropTests
{
    private static readonly string Fixtures = Path.Combine(TestContext.CurrentContext.TestDirectory, "Fixtures");

    private static SaeDictionary Trained(SaeArchitecture architecture, ActivationSet data) =>
        new SaeTrainer(architecture.Shaped(12, 3) with { Batch = 64, Epochs = 2, Seed = 1 }).Train(data).Dictionary;

    [TestCaseSource(nameof(Architectures))]
    public void ParquetRoundTripKeepsEveryValue(SaeArchitecture architecture)
    {
        var data = Samples.Random(300, 5, 1);
        var dictionary = Trained(architecture, data);
        var path = Path.Combine(Samples.TempFolder(), "dictionary.parquet");
        dictionary.WriteParquet(path);
        var back = SaeDictionary.ReadParquet(path);
        AssertSame(dictionary, back);
        Assert.That(back.Density, Is.EqualTo(dictionary.Density));
        Assert.That(SaeMetrics.Encode(back, data).Values, Is.EqualTo(SaeMetrics.Encode(dictionary, data).Values));
    }

    [TestCaseSource(nameof(Architectures))]
    public void SaeLensRoundTripKeepsEveryValue(SaeArchitecture architecture)
    {
        var data = Samples.Random(300, 5, 2);
        var dictionary = Trained(architecture, data);
        var folder = Samples.TempFolder();
        SaeLensFolder.Write(folder, dictionary);
        var back = SaeLensFolder.Read(folder);
        AssertSame(dictionary, back);
        Assert.That(SaeMetrics.Encode(back, data).Values, Is.EqualTo(SaeMetrics.Encode(dictionary, data).Values));
    }

    // Written by tools/SaeAlign.Bench/python/sae_saelens_fixture.py (PyTorch) and sae_variant_fixtures.py (numpy), the codes by each library's encode.
    [TestCase("saelens-topk")]
    [TestCase("saelens-jumprelu")]
    [TestCase("saelens-jumprelu-log-threshold")]
    [TestCase("saelens-gated")]
    [TestCase("saelens-gated-uncentred")]
    [TestCase("saelens-topk-rescaled")]
    [TestCase("saelens-jumprelu-scaled")]
    [TestCase("sparsify-topk")]
    public void FixtureFolderEncodesAsItsLibraryDoes(string name)
    {
        var folder = Path.Combine(Fixtures, name);
        var dictionary = DictionaryFile.Read(folder, "fixture");
        var expected = JsonSerializer.Deserialize<Expected>(File.ReadAllText(Path.Combine(folder, "expected.json")))!;
        var x = new ActivationSet(expected.x, expected.rows, dictionary.DIn);
        Assert.That(SaeMetrics.Encode(dictionary, x).Values, Is.EqualTo(expected.codes).Within(1e-5));
    }

    [TestCaseSource(nameof(Architectures))]
    public void ExportedFolderEncodesInPyTorchAsHere(SaeArchitecture architecture)
    {
        const string python = "/usr/bin/python3";
        if (!File.Exists(python) || Run(python, "-c \"import torch\"") != 0)
            Assert.Ignore("Debian's python3-torch (/usr/bin/python3 with torch) is not installed; the PyTorch side of the round trip is skipped.");
        var data = Samples.Random(40, 5, 3);
        var dictionary = Trained(architecture, data);
        var folder = Samples.TempFolder();
        SaeLensFolder.Write(Path.Combine(folder, "sae"), dictionary);
        File.WriteAllText(Path.Combine(folder, "in.json"), JsonSerializer.Serialize(new { x = data.Values, rows = data.Rows }));
        string script = Path.Combine(RepoRoot(), "tools/SaeAlign.Bench/python/sae_saelens_encode.py");
        Assert.That(Run(python, $"{script} {folder}/sae {folder}/in.json {folder}/out.json"), Is.Zero);
        var codes = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "out.json"))).RootElement.GetProperty("codes")
            .EnumerateArray().Select(e => e.GetSingle()).ToArray();
        Assert.That(codes, Is.EqualTo(SaeMetrics.Encode(dictionary, data).Values).Within(1e-5));
    }

    [Test]
    public void TransposedMatricesAreRecognisedByTheirShapes()
    {
        var folder = Samples.TempFolder();
        var source = SaeLensFolder.Read(Path.Combine(Fixtures, "saelens-jumprelu"));
        File.Copy(Path.Combine(Fixtures, "saelens-jumprelu", "cfg.json"), Path.Combine(folder, "cfg.json"));
        var (tensors, _) = Safetensors.Read(Path.Combine(Fixtures, "saelens-jumprelu", SaeLensFolder.WeightsFile));
        var wEnc = tensors["W_enc"];
        var transposed = new float[wEnc.Values.Length];
        for (int i = 0; i < 6; i++)
            for (int j = 0; j < 10; j++) transposed[j * 6 + i] = wEnc.Values[i * 10 + j];
        Safetensors.Write(Path.Combine(folder, SaeLensFolder.WeightsFile),
            [("W_enc", new SafeTensor([10, 6], transposed)), ("W_dec", tensors["W_dec"]), ("b_enc", tensors["b_enc"]), ("b_dec", tensors["b_dec"]), ("threshold", tensors["threshold"])]);
        Assert.That(SaeLensFolder.Read(folder).WEnc, Is.EqualTo(source.WEnc));
    }

    [TestCase("topk")]
    [TestCase("paper-toy")]
    public void SparsifyRoundTripGivesTheSameCodes(string name)
    {
        var architecture = SaeArchitecture.Get(name, "test case");
        var data = Samples.Random(300, 5, 3);
        var dictionary = Trained(architecture, data);
        var folder = Samples.TempFolder();
        SparsifyFolder.Write(folder, dictionary);
        var back = DictionaryFile.Read(folder, "sae");
        Assert.That((back.Architecture, back.K, back.DSae), Is.EqualTo((SaeArchitecture.TopK, dictionary.K, dictionary.DSae)));
        Assert.That(SaeMetrics.Encode(back, data).Values, Is.EqualTo(SaeMetrics.Encode(dictionary, data).Values).Within(1e-5));
        var (tensors, _) = Safetensors.Read(Path.Combine(folder, SparsifyFolder.WeightsFile));
        Assert.That(tensors["encoder.weight"].Shape, Is.EqualTo(new long[] { dictionary.DSae, 5 }));
    }

    [Test]
    public void ASparsifyFolderCannotHoldAThreshold()
    {
        var dictionary = Trained(SaeArchitecture.BatchTopK, Samples.Random(300, 5, 3));
        var error = Assert.Throws<InvalidInputException>(() => SparsifyFolder.Write(Samples.TempFolder(), dictionary))!;
        Assert.That(error.Message, Is.EqualTo("a batchtopk SAE cannot be written as a sparsify folder, which holds per-row top-k SAEs only (its threshold would be lost)."));
    }

    [Test]
    public void AFolderOfNoKnownKindSaysWhatEachKindHolds()
    {
        var folder = Samples.TempFolder();
        File.WriteAllText(Path.Combine(folder, "cfg.json"), "{}");
        var error = Assert.Throws<InvalidInputException>(() => DictionaryFile.Read(folder, InputField.Named("sae")))!;
        Assert.That(error.Message, Does.StartWith($"sae: {folder} holds no SAE").And.Contain("sae_weights.safetensors").And.Contain("sae.safetensors").And.Contain("dictionary.parquet"));
    }

    [TestCase("{ not json", "malformed cfg.json")]
    [TestCase("{\"architecture\": \"topk\", \"d_in\": 6}", "'d_sae'")]
    [TestCase("{\"architecture\": \"transcoder\", \"d_in\": 6, \"d_sae\": 10}", "'transcoder' is not supported")]
    [TestCase("{\"architecture\": \"standard\", \"d_in\": 6, \"d_sae\": 10, \"normalize_activations\": \"layer_norm\"}", "normalize_activations")]
    [TestCase("{\"architecture\": \"standard\", \"d_in\": 6, \"d_sae\": 10, \"normalize_activations\": \"expected_average_only_in\"}", "no positive norm_scaling_factor")]
    [TestCase("{\"architecture\": \"topk\", \"k\": 3, \"d_in\": 6, \"d_sae\": 10, \"rescale_acts_by_decoder_norm\": 1}", "rescale_acts_by_decoder_norm is not a boolean")]
    public void MalformedCfgJsonIsBadInput(string json, string message)
    {
        var folder = Samples.TempFolder();
        File.WriteAllText(Path.Combine(folder, "cfg.json"), json);
        var error = Assert.Throws<InvalidInputException>(() => SaeLensFolder.Read(folder));
        Assert.That(error!.Message, Does.Contain(message));
    }

    [Test]
    public void WeightsWhoseShapesDisagreeWithCfgAreBadInput()
    {
        var folder = Samples.TempFolder();
        File.WriteAllText(Path.Combine(folder, "cfg.json"), "{\"architecture\": \"standard\", \"d_in\": 7, \"d_sae\": 10}");
        File.Copy(Path.Combine(Fixtures, "saelens-jumprelu", SaeLensFolder.WeightsFile), Path.Combine(folder, SaeLensFolder.WeightsFile));
        var error = Assert.Throws<InvalidInputException>(() => SaeLensFolder.Read(folder));
        Assert.That(error!.Message, Does.Contain("'W_enc' has shape [6, 10]"));
    }

    private static IEnumerable<SaeArchitecture> Architectures() => SaeArchitecture.All;

    private static void AssertSame(SaeDictionary expected, SaeDictionary actual)
    {
        Assert.Multiple(() =>
        {
            Assert.That((actual.Architecture, actual.DIn, actual.DSae), Is.EqualTo((expected.Architecture, expected.DIn, expected.DSae)));
            if (expected.Architecture.UsesK) Assert.That(actual.K, Is.EqualTo(expected.K));
            Assert.That(actual.WEnc, Is.EqualTo(expected.WEnc));
            Assert.That(actual.WDec, Is.EqualTo(expected.WDec));
            Assert.That(actual.BEnc, Is.EqualTo(expected.BEnc));
            Assert.That(actual.BDec, Is.EqualTo(expected.BDec));
            // A gated SAE's SAELens form holds its threshold as b_mag - b_gate, which rounds it to within an ulp or two of b_enc.
            Assert.That(actual.Threshold, expected.Architecture == SaeArchitecture.Gated
                ? Is.EqualTo(expected.Threshold).Within(1e-6)
                : Is.EqualTo(expected.Threshold));
        });
    }

    private static int Run(string file, string arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        process.WaitForExit();
        return process.ExitCode;
    }

    private static string RepoRoot() => Repository.File();

    private sealed record Expected(float[] x, float[] codes, int rows);
}
