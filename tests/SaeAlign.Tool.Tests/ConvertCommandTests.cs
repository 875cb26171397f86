using System.Text.Json;
using Parquet;
using SaeAlign.Core;
using SaeAlign.Data;

namespace SaeAlign.Tool.Tests;

/// <summary>`saealign convert`: activation files between .npy and Parquet, SAEs between dictionary Parquet, SAELens and sparsify.</summary>
public class ConvertCommandTests
{
    private static ActivationSet Sparse(int rows, int columns, long[]? stimuli = null)
    {
        var random = new Random(9);
        var values = new float[rows * columns];
        for (int i = 0; i < values.Length; i++) values[i] = random.NextDouble() < 0.01 ? (float)random.NextDouble() : 0f;
        return new ActivationSet(values, rows, columns, stimuli);
    }

    [Test]
    public async Task NpyAndParquetConvertBothWaysAndAnIndependentReaderAgrees()
    {
        var folder = Cli.TempFolder();
        var set = Sparse(30, 12);
        string npy = Path.Combine(folder, "a.npy"), parquet = Path.Combine(folder, "a.parquet"), back = Path.Combine(folder, "b.npy");
        Npy.Write(npy, set);

        var toParquet = await Cli.Run("convert", npy, parquet, "--json");
        Assert.That(toParquet.ExitCode, Is.Zero, toParquet.Error);
        Assert.That(JsonDocument.Parse(toParquet.Out).RootElement.GetProperty("layout").GetString(), Is.EqualTo("dense"), "12 units are written dense");
        await using (var reader = await ParquetReader.CreateAsync(parquet))
        {
            Assert.That(reader.Metadata!.NumRows, Is.EqualTo(30));
            Assert.That(reader.Schema.Fields, Has.Count.EqualTo(13), "stimulus and 12 units");
        }
        Assert.That((await Cli.Run("convert", parquet, back)).ExitCode, Is.Zero);
        Assert.That(Npy.Read(back).Values, Is.EqualTo(set.Values));

        string sparse = Path.Combine(folder, "s.parquet");
        Assert.That((await Cli.Run("convert", npy, sparse, "--layout", "sparse")).ExitCode, Is.Zero);
        Assert.That(ActivationFile.IsSparseLayout(sparse), Is.True);
        Assert.That(ActivationFile.Read(sparse).Values, Is.EqualTo(set.Values));
    }

    [Test]
    public async Task WideCodesStaySparseUnlessALayoutIsAsked()
    {
        var folder = Cli.TempFolder();
        var set = Sparse(8, ActivationFile.SparseWidth);
        string npy = Path.Combine(folder, "codes.npy"), parquet = Path.Combine(folder, "codes.parquet"), dense = Path.Combine(folder, "dense.parquet");
        Npy.Write(npy, set);
        Assert.That((await Cli.Run("convert", npy, parquet)).ExitCode, Is.Zero);
        Assert.That(ActivationFile.IsSparseLayout(parquet), Is.True);
        Assert.That((await Cli.Run("convert", parquet, dense, "--layout", "dense")).ExitCode, Is.Zero);
        Assert.That(ActivationFile.IsSparseLayout(dense), Is.False);
        Assert.That(ActivationFile.Read(dense).Values, Is.EqualTo(set.Values));
    }

    [Test]
    public async Task StimulusIdsThatNpyCannotHoldAreRefusedAndNothingIsWritten()
    {
        var folder = Cli.TempFolder();
        string parquet = Path.Combine(folder, "a.parquet"), npy = Path.Combine(folder, "a.npy");
        ActivationParquet.Write(parquet, Sparse(5, 4, [10, 11, 12, 13, 14]));
        var result = await Cli.Run("convert", parquet, npy);
        Assert.That(result.ExitCode, Is.EqualTo(2));
        Assert.That(result.Error.Trim(), Is.EqualTo($"error: OUT: .npy holds no stimulus ids, and row 0 of {parquet} is stimulus 10; convert to .parquet to keep them."));
        Assert.That(File.Exists(npy), Is.False);
        Assert.That((await Cli.Run("convert", parquet, Path.Combine(folder, "b.parquet"), "--to", "saelens")).ExitCode, Is.EqualTo(2), "--to is for SAEs");
    }

    [Test]
    public async Task AnSaeConvertsBetweenFormatsWithTheSameCodes()
    {
        var folder = Cli.TempFolder();
        var acts = Path.Combine(folder, "acts.npy");
        Npy.Write(acts, Sparse(400, 6));
        var run = Path.Combine(folder, "run");
        Assert.That((await Cli.Run("sae", "train", "--activations", acts, "--arch", "topk", "--d-sae", "16", "--k", "3", "--batch", "128", "--threads", "1", "--quiet",
            "--out", run)).ExitCode, Is.Zero);
        string sparsify = Path.Combine(folder, "sparsify"), saeLens = Path.Combine(folder, "saelens"), parquet = Path.Combine(folder, "sae.parquet");
        var converted = await Cli.Run("convert", run, sparsify, "--to", "sparsify", "--json");
        Assert.That(converted.ExitCode, Is.Zero, converted.Error);
        Assert.That(JsonDocument.Parse(converted.Out).RootElement.GetProperty("architecture").GetString(), Is.EqualTo("topk"));
        Assert.That((await Cli.Run("convert", sparsify, saeLens)).ExitCode, Is.Zero, "a folder output is SAELens by default");
        var named = await Cli.Run("convert", sparsify, Path.Combine(folder, "saelens2"), "--to", "saelens");
        Assert.That(named.ExitCode, Is.Zero, named.Error);
        Assert.That((await Cli.Run("convert", saeLens, parquet)).ExitCode, Is.Zero, "an OUT.parquet is a dictionary");
        Assert.That(File.Exists(Path.Combine(saeLens, "sae_weights.safetensors")) && File.Exists(Path.Combine(sparsify, "sae.safetensors")), Is.True);

        var codes = new List<float[]>();
        foreach (var sae in new[] { run, sparsify, saeLens, parquet })
        {
            var output = Path.Combine(folder, $"codes{codes.Count}.parquet");
            Assert.That((await Cli.Run("sae", "encode", "--sae", sae, "--activations", acts, "--out", output, "--quiet")).ExitCode, Is.Zero, sae);
            codes.Add(ActivationFile.Read(output).Values);
        }
        foreach (var other in codes.Skip(1)) Assert.That(other, Is.EqualTo(codes[0]).Within(1e-5));
    }

    [Test]
    public async Task ALossyConversionIsRefusedNamingWhatWouldBeLost()
    {
        var folder = Cli.TempFolder();
        var acts = Path.Combine(folder, "acts.npy");
        Npy.Write(acts, Sparse(400, 6));
        var run = Path.Combine(folder, "run");
        Assert.That((await Cli.Run("sae", "train", "--activations", acts, "--arch", "batchtopk", "--d-sae", "16", "--k", "3", "--batch", "128", "--threads", "1", "--quiet",
            "--out", run)).ExitCode, Is.Zero);
        var target = Path.Combine(folder, "sparsify");
        var result = await Cli.Run("convert", run, target, "--to", "sparsify");
        Assert.That(result.ExitCode, Is.EqualTo(2));
        Assert.That(result.Error.Trim(), Is.EqualTo("error: a batchtopk SAE cannot be written as a sparsify folder, which holds per-row top-k SAEs only (its threshold would be lost)."));
        Assert.That(Directory.GetFileSystemEntries(folder).Select(Path.GetFileName), Is.EquivalentTo(new[] { "acts.npy", "run" }), "no folder, no staging leftovers");
    }
}
