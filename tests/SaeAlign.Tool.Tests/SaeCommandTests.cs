using System.Text.Json;
using Parquet;
using SaeAlign.Core;
using SaeAlign.Data;
using SaeAlign.Sae;

namespace SaeAlign.Tool.Tests;

public class SaeCommandTests
{
    private static string Activations(string folder, int rows = 600, int columns = 6, Action<float[]>? edit = null)
    {
        var random = new Random(5);
        var values = new float[rows * columns];
        for (int i = 0; i < values.Length; i++) values[i] = random.NextDouble() < 0.4 ? (float)random.NextDouble() : 0f;
        edit?.Invoke(values);
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, "acts.npy");
        Npy.Write(path, values, rows, columns);
        return path;
    }

    private static string[] Train(string activations, string output, params string[] more) => TrainFor(2, activations, output, more);

    private static string[] TrainFor(int epochs, string activations, string output, params string[] more) =>
        ["sae", "train", "--activations", activations, "--arch", "topk", "--d-sae", "16", "--k", "3", "--batch", "128", "--epochs", $"{epochs}",
         "--threads", "1", "--quiet", "--out", output, .. more];

    /// <summary>A small SAE trained on <see cref="Activations"/>, for tests of what encoding does with it.</summary>
    private static async Task<(string Folder, string Activations, string Run)> TrainedRun()
    {
        var folder = Cli.TempFolder();
        var acts = Activations(folder);
        var run = Path.Combine(folder, "run");
        var train = await Cli.Run(Train(acts, run));
        Assert.That(train.ExitCode, Is.Zero, train.Error);
        return (folder, acts, run);
    }

    [Test]
    public async Task CompareFindsEveryLatentOfAnSaeInItsSaeLensExportAndDrawsTheHistogram()
    {
        var (folder, acts, run) = await TrainedRun();
        string plot = Path.Combine(folder, "compare.png");

        var compare = await Cli.Run("sae", "compare", run, Path.Combine(run, "saelens"), "--activations", acts, "--plot", plot, "--quiet", "--json");

        Assert.That(compare.ExitCode, Is.Zero, compare.Error);
        using var result = JsonDocument.Parse(compare.Out);
        var decoder = result.RootElement.GetProperty("directions")[0];
        Assert.That(decoder.GetProperty("directions").GetString(), Is.EqualTo("decoder"));
        Assert.That(decoder.GetProperty("sharedFraction").GetDouble(), Is.EqualTo(1));
        Assert.That(decoder.GetProperty("meanMatchedCosine").GetDouble(), Is.EqualTo(1).Within(1e-5));
        Assert.That(decoder.GetProperty("baselineSharedFraction").GetDouble(), Is.LessThan(1));
        Assert.That(result.RootElement.GetProperty("codes").GetProperty("meanMatchedCorrelation").GetDouble(), Is.EqualTo(1).Within(1e-5));
        SaeAlign.Testing.PngImage.AssertFigure(plot, 900, 520);
    }

    [Test]
    public async Task CompareRefusesAPlotThatIsNotAPngBeforeReadingAnything()
    {
        var result = await Cli.Run("sae", "compare", "missing-a", "missing-b", "--plot", "out.svg", "--quiet");

        Assert.That(result.ExitCode, Is.EqualTo(2));
        Assert.That(result.Error.Trim(), Is.EqualTo("error: --plot: 'out.svg' must end in .png."));
    }

    [Test]
    public async Task CompareNamesTheMissingSaeByItsArgument()
    {
        var result = await Cli.Run("sae", "compare", "missing-a", "missing-b", "--quiet");

        Assert.That(result.ExitCode, Is.EqualTo(2));
        Assert.That(result.Error.Trim(), Is.EqualTo("error: A: missing-a does not exist."));
    }

    [Test]
    public async Task TrainThenEncodeWritesDictionaryAndSparseCodes()
    {
        var folder = Cli.TempFolder();
        var acts = Activations(folder);
        var run = Path.Combine(folder, "run");
        var train = await Cli.Run([.. Train(acts, run), "--json"]);
        Assert.That(train.ExitCode, Is.Zero, train.Error);
        using var summary = JsonDocument.Parse(train.Out);
        Assert.That(summary.RootElement.GetProperty("steps").GetInt32(), Is.EqualTo(10));
        foreach (var file in new[] { "dictionary.parquet", "saelens/cfg.json", "saelens/sae_weights.safetensors", "sparsify/cfg.json", "sparsify/sae.safetensors",
                     "metrics.parquet", "density.parquet", "summary.json", "manifest.json" })
            Assert.That(File.Exists(Path.Combine(run, file)), Is.True, file);
        Assert.That(File.Exists(run + ".checkpoint.safetensors"), Is.False);

        var codesPath = Path.Combine(folder, "codes.parquet");
        var encode = await Cli.Run("sae", "encode", "--sae", run, "--activations", acts, "--out", codesPath, "--quiet");
        Assert.That(encode.ExitCode, Is.Zero, encode.Error);

        // Read back with an independent reader: idx/val lists, at most k entries per row.
        await using (var reader = await ParquetReader.CreateAsync(codesPath))
        {
            Assert.That(reader.Schema.Fields.Select(f => f.Name), Is.EqualTo(new[] { "stimulus", "idx", "val" }));
            Assert.That(reader.Metadata!.NumRows, Is.EqualTo(600));
        }
        var codes = ActivationParquet.Read(codesPath);
        Assert.That(Enumerable.Range(0, codes.Rows).All(r => codes.Row(r).ToArray().Count(v => v != 0) <= 3), Is.True);

        var viaSaeLens = Path.Combine(folder, "codes2.parquet");
        Assert.That((await Cli.Run("sae", "encode", "--sae", Path.Combine(run, "saelens"), "--activations", acts, "--out", viaSaeLens, "--quiet")).ExitCode, Is.Zero);
        Assert.That(ActivationParquet.Read(viaSaeLens).Values, Is.EqualTo(codes.Values));

        var viaSparsify = Path.Combine(folder, "codes3.parquet");
        Assert.That((await Cli.Run("sae", "encode", "--sae", Path.Combine(run, "sparsify"), "--activations", acts, "--out", viaSparsify, "--quiet")).ExitCode, Is.Zero);
        Assert.That(ActivationParquet.Read(viaSparsify).Values, Is.EqualTo(codes.Values).Within(1e-5));
    }

    [Test]
    public async Task EncodeToANpyNameWritesTheParquetCodesAsDenseNpy()
    {
        var (folder, acts, run) = await TrainedRun();
        var parquet = Path.Combine(folder, "codes.parquet");
        var npy = Path.Combine(folder, "codes.npy");

        Assert.That((await Cli.Run("sae", "encode", "--sae", run, "--activations", acts, "--out", parquet, "--quiet")).ExitCode, Is.Zero);
        var encode = await Cli.Run("sae", "encode", "--sae", run, "--activations", acts, "--out", npy, "--quiet");

        Assert.That(encode.ExitCode, Is.Zero, encode.Error);
        Assert.That(File.ReadAllBytes(npy)[..6], Is.EqualTo(new byte[] { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y' }));
        var dense = Npy.Read(npy);
        Assert.That((dense.Rows, dense.Columns), Is.EqualTo((600, 16)));
        Assert.That(dense.Values, Is.EqualTo(ActivationParquet.Read(parquet).Values));
    }

    [TestCase("codes.txt")]
    [TestCase("codes")]
    public async Task EncodeToAnotherExtensionExitsTwoNamingOutAndWritesNothing(string name)
    {
        var (folder, acts, run) = await TrainedRun();
        var output = Path.Combine(folder, name);

        var result = await Cli.Run("sae", "encode", "--sae", run, "--activations", acts, "--out", output);

        Assert.That(result.ExitCode, Is.EqualTo(2), result.Error);
        Assert.That(result.Error, Does.StartWith("error: --out: ").And.Contain(".npy").And.Contain(".parquet"));
        Assert.That(result.Error.TrimEnd().Split('\n'), Has.Length.EqualTo(1));
        Assert.That(File.Exists(output), Is.False);
    }

    [Test]
    public async Task EncodeToADirectoryExitsTwoSayingSo()
    {
        var (folder, acts, run) = await TrainedRun();
        var output = Path.Combine(folder, "out");
        Directory.CreateDirectory(output);

        var result = await Cli.Run("sae", "encode", "--sae", run, "--activations", acts, "--out", output);

        Assert.That(result.ExitCode, Is.EqualTo(2), result.Error);
        Assert.That(result.Error, Does.StartWith("error: --out: ").And.Contain($"{output} is a directory"));
        Assert.That(result.Error.TrimEnd().Split('\n'), Has.Length.EqualTo(1));
        Assert.That(Directory.GetFileSystemEntries(output), Is.Empty);
    }

    [Test]
    public async Task NonFiniteActivationIsBadInputNamingRowAndColumn()
    {
        var folder = Cli.TempFolder();
        var acts = Activations(folder, edit: v => v[7 * 6 + 2] = float.NaN);
        var run = Path.Combine(folder, "run");
        var result = await Cli.Run(Train(acts, run));
        Assert.That(result.ExitCode, Is.EqualTo(2), result.Error);
        Assert.That(result.Error, Does.Contain("row 7").And.Contain("column 2"));
        Assert.That(Directory.Exists(run), Is.False);
    }

    [TestCase("--k", "17")]
    [TestCase("--k", "0")]
    [TestCase("--d-sae", "-3")]
    [TestCase("--d-sae", "0")]
    [TestCase("--steps", "5")]
    [TestCase("--arch", "transcoder")]
    [TestCase("--decode", "fast")]
    [TestCase("--b-dec-init", "median")]
    [TestCase("--lr", "NaN")]
    [TestCase("--device", "gpu")]
    [TestCase("--engine", "cuda")]
    [TestCase("--device", "cuda:x")]
    public async Task InvalidOptionExitsTwoNamingItAndWritesNothing(string option, string value)
    {
        var folder = Cli.TempFolder();
        var run = Path.Combine(folder, "run");
        var result = await Cli.Run([.. Train(Activations(folder), run), option, value]);
        Assert.That(result.ExitCode, Is.EqualTo(2), result.Error);
        Assert.That(result.Error, Does.Contain(option));
        Assert.That(Directory.GetDirectories(folder), Is.Empty);
    }

    [Test]
    public async Task TrainingAndEncodingOnTheCpuDeviceGiveTheDefaultRunsFiles()
    {
        var (folder, acts, run) = await TrainedRun();
        var onCpu = Path.Combine(folder, "cpu");
        Assert.That((await Cli.Run(Train(acts, onCpu, "--device", "cpu"))).ExitCode, Is.Zero);
        Assert.That(SaeDictionary.ReadParquet(Path.Combine(onCpu, "dictionary.parquet")).WDec,
            Is.EqualTo(SaeDictionary.ReadParquet(Path.Combine(run, "dictionary.parquet")).WDec));
        string plain = Path.Combine(folder, "plain.npy"), cpu = Path.Combine(folder, "cpu.npy");
        Assert.That((await Cli.Run("sae", "encode", "--sae", run, "--activations", acts, "--out", plain, "--quiet")).ExitCode, Is.Zero);
        Assert.That((await Cli.Run("sae", "encode", "--sae", run, "--activations", acts, "--out", cpu, "--device", "cpu", "--quiet")).ExitCode, Is.Zero);
        Assert.That(File.ReadAllBytes(cpu), Is.EqualTo(File.ReadAllBytes(plain)));
    }

    [Test]
    public async Task TheIlgpuEngineWritesTheTorchEnginesRunFolderAndDictionary()
    {
        var (folder, acts, run) = await TrainedRun();
        var ilgpu = Path.Combine(folder, "ilgpu");
        var result = await Cli.Run(Train(acts, ilgpu, "--engine", "ilgpu", "--device", "cpu"));
        Assert.That(result.ExitCode, Is.Zero, result.Error);
        Assert.That(Directory.GetFiles(ilgpu).Select(Path.GetFileName).Order(), Is.EqualTo(Directory.GetFiles(run).Select(Path.GetFileName).Order()));
        var expected = SaeDictionary.ReadParquet(Path.Combine(run, "dictionary.parquet")).WDec;
        var actual = SaeDictionary.ReadParquet(Path.Combine(ilgpu, "dictionary.parquet")).WDec;
        Assert.That(actual.Zip(expected, (a, b) => Math.Abs(a - b)).Max(), Is.LessThan(1e-3));
    }

    [Test]
    public async Task APaperToySaeOnTheIlgpuEngineIsTheTorchEnginesSae()
    {
        var folder = Cli.TempFolder();
        var acts = Activations(folder);
        string[] PaperToy(string engine) =>
            ["sae", "train", "--activations", acts, "--arch", "paper-toy", "--d-sae", "16", "--k", "3", "--batch", "64", "--engine", engine, "--device", "cpu",
             "--threads", "1", "--quiet", "--out", Path.Combine(folder, engine)];
        foreach (var engine in new[] { "torch", "ilgpu" })
        {
            var result = await Cli.Run(PaperToy(engine));
            Assert.That(result.ExitCode, Is.Zero, result.Error);
        }
        var torch = SaeDictionary.ReadParquet(Path.Combine(folder, "torch", "dictionary.parquet"));
        var ilgpu = SaeDictionary.ReadParquet(Path.Combine(folder, "ilgpu", "dictionary.parquet"));
        Assert.That(ilgpu.Architecture.Name, Is.EqualTo("paper-toy"));
        Assert.That(ilgpu.WDec.Zip(torch.WDec, (a, b) => Math.Abs(a - b)).Max(), Is.LessThan(1e-2), "a near-tie selection may flip on another CPU");
    }

    [Test]
    public async Task TheIlgpuEngineRefusesAnArchitectureItDoesNotTrainBeforeReadingAnything()
    {
        var folder = Cli.TempFolder();
        var run = Path.Combine(folder, "run");
        var result = await Cli.Run("sae", "train", "--activations", Activations(folder), "--arch", "relu-l1", "--d-sae", "16", "--engine", "ilgpu", "--quiet", "--out", run);
        Assert.That(result.ExitCode, Is.EqualTo(2), result.Error);
        Assert.That(result.Error, Does.Contain("--engine ilgpu trains the topk and paper-toy architectures; relu-l1 needs the torch engine"));
        Assert.That(Directory.GetDirectories(folder), Is.Empty);
    }

    [Test]
    public async Task EncodingActivationsOfTheWrongWidthExitsTwo()
    {
        var folder = Cli.TempFolder();
        var run = Path.Combine(folder, "run");
        Assert.That((await Cli.Run(Train(Activations(folder), run))).ExitCode, Is.Zero);
        var narrow = Activations(Path.Combine(folder, "narrow"), columns: 5);
        var result = await Cli.Run("sae", "encode", "--sae", run, "--activations", narrow, "--out", Path.Combine(folder, "c.parquet"));
        Assert.That(result.ExitCode, Is.EqualTo(2));
        Assert.That(result.Error, Does.Contain("5 columns").And.Contain("d_in is 6"));
        Assert.That(File.Exists(Path.Combine(folder, "c.parquet")), Is.False);
    }

    [Test]
    public async Task ResumeWithoutCheckpointExitsTwo()
    {
        var folder = Cli.TempFolder();
        var result = await Cli.Run([.. Train(Activations(folder), Path.Combine(folder, "run")), "--resume"]);
        Assert.That(result.ExitCode, Is.EqualTo(2));
        Assert.That(result.Error, Does.Contain("--resume").And.Contain("no checkpoint"));
    }

    [Test]
    public async Task KilledRunResumesToTheSameDictionary()
    {
        var folder = Cli.TempFolder();
        var acts = Activations(folder);
        var whole = Path.Combine(folder, "whole");
        // 600 steps: the cancel below, sent when the first checkpoint appears, always lands mid-run (with 10 steps the
        // run sometimes finished first).
        const int epochs = 120;
        Assert.That((await Cli.Run(TrainFor(epochs, acts, whole))).ExitCode, Is.Zero);

        // Cancel mid-run (the process being killed); the checkpoint written every 3 steps stays beside the output.
        var run = Path.Combine(folder, "run");
        using var cancel = new CancellationTokenSource();
        var watcher = Task.Run(async () =>
        {
            while (!File.Exists(run + ".checkpoint.safetensors")) await Task.Delay(5);
            cancel.Cancel();
        });
        int code = await SaeAlignCli.RunAsync([.. TrainFor(epochs, acts, run), "--checkpoint-every", "3"], new StringWriter(), new StringWriter(), cancel.Token);
        await watcher;
        Assert.That(code, Is.EqualTo(ExitCodes.Interrupted));
        Assert.That(Directory.Exists(run), Is.False);

        var resumed = await Cli.Run([.. TrainFor(epochs, acts, run), "--checkpoint-every", "3", "--resume", "--json"]);
        Assert.That(resumed.ExitCode, Is.Zero, resumed.Error);
        Assert.That(JsonDocument.Parse(resumed.Out).RootElement.GetProperty("resumedFromStep").GetInt32(), Is.GreaterThan(0));
        Assert.That(File.ReadAllBytes(Path.Combine(run, "saelens", "sae_weights.safetensors")),
            Is.EqualTo(File.ReadAllBytes(Path.Combine(whole, "saelens", "sae_weights.safetensors"))));
    }

    [Test]
    public async Task StepsSetTheTrainingLengthAcrossEpochs()
    {
        var folder = Cli.TempFolder();
        var acts = Activations(folder);
        // 600 rows in batches of 128 are 5 steps an epoch; 12 steps run into a third epoch.
        var result = await Cli.Run("sae", "train", "--activations", acts, "--arch", "topk", "--d-sae", "16", "--k", "3", "--batch", "128",
            "--steps", "12", "--threads", "1", "--quiet", "--json", "--out", Path.Combine(folder, "run"));
        Assert.That(result.ExitCode, Is.Zero, result.Error);
        var json = System.Text.Json.JsonDocument.Parse(result.Out).RootElement;
        Assert.That(json.GetProperty("steps").GetInt32(), Is.EqualTo(12));
        Assert.That(json.GetProperty("config").GetProperty("steps").GetInt32(), Is.EqualTo(12));
    }

    [Test]
    public async Task ZeroStepsIsRefused()
    {
        var folder = Cli.TempFolder();
        var result = await Cli.Run("sae", "train", "--activations", Activations(folder), "--steps", "0", "--quiet", "--out", Path.Combine(folder, "run"));
        Assert.That(result.ExitCode, Is.EqualTo(2), result.Error);
        Assert.That(result.Error.Trim(), Is.EqualTo("error: --steps must be at least 1, got 0."));
    }

    [Test]
    public async Task AFlagOfAnotherArchitectureIsRefusedNamingIt()
    {
        var folder = Cli.TempFolder();
        var result = await Cli.Run("sae", "train", "--activations", Activations(folder), "--arch", "topk", "--l1-coefficient", "2", "--quiet",
            "--out", Path.Combine(folder, "run"));
        Assert.That(result.ExitCode, Is.EqualTo(2), result.Error);
        Assert.That(result.Error.Trim(), Is.EqualTo("error: --l1-coefficient is a setting of relu-l1, gated; a topk SAE has no such setting."));
        Assert.That(Directory.Exists(Path.Combine(folder, "run")), Is.False);
    }

    [Test]
    public async Task HelpGivesEachSettingsDefaultPerArchitecture()
    {
        var result = await Cli.Run("sae", "train", "--help");
        Assert.That(result.ExitCode, Is.Zero, result.Error);
        Assert.That(result.Out, Does.Contain("--k <k>").And.Contain("(default 32; paper-toy 7)"));
        Assert.That(result.Out, Does.Contain("--threshold-ema").And.Contain("(batchtopk, matryoshka-batchtopk)"));
    }

    [Test]
    public async Task AMatryoshkaSaeTrainsWithItsGroupsAndEncodesFromEitherFolder()
    {
        var folder = Cli.TempFolder();
        var acts = Activations(folder);
        var run = Path.Combine(folder, "run");
        var train = await Cli.Run("sae", "train", "--activations", acts, "--arch", "matryoshka-batchtopk", "--groups", "4,8", "--d-sae", "16", "--k", "3",
            "--batch", "128", "--epochs", "2", "--threads", "1", "--quiet", "--json", "--out", run);
        Assert.That(train.ExitCode, Is.Zero, train.Error);
        var config = JsonDocument.Parse(train.Out).RootElement.GetProperty("config");
        Assert.That(config.GetProperty("architecture").GetString(), Is.EqualTo("matryoshka-batchtopk"));
        Assert.That(config.GetProperty("groups").EnumerateArray().Select(g => g.GetInt32()), Is.EqualTo(new[] { 4, 8 }));

        var viaParquet = Path.Combine(folder, "codes.parquet");
        var viaSaeLens = Path.Combine(folder, "codes2.parquet");
        Assert.That((await Cli.Run("sae", "encode", "--sae", run, "--activations", acts, "--out", viaParquet, "--quiet")).ExitCode, Is.Zero);
        Assert.That((await Cli.Run("sae", "encode", "--sae", Path.Combine(run, "saelens"), "--activations", acts, "--out", viaSaeLens, "--quiet")).ExitCode, Is.Zero);
        Assert.That(ActivationParquet.Read(viaSaeLens).Values, Is.EqualTo(ActivationParquet.Read(viaParquet).Values));
        Assert.That(File.ReadAllText(Path.Combine(run, "saelens", "cfg.json")), Does.Contain("\"architecture\": \"jumprelu\""), "saved for inference as SAELens does");

        var bad = await Cli.Run("sae", "train", "--activations", acts, "--arch", "matryoshka-batchtopk", "--groups", "8,4", "--d-sae", "16", "--k", "3", "--quiet", "--out", Path.Combine(folder, "bad"));
        Assert.That(bad.ExitCode, Is.EqualTo(2));
        Assert.That(bad.Error.Trim(), Is.EqualTo("error: --groups must be increasing widths between 1 and d_sae = 16, got 8,4."));
    }

    [Test]
    public async Task AGatedSaeTrainsAndItsSaeLensFolderHoldsTheGatedTensors()
    {
        var folder = Cli.TempFolder();
        var acts = Activations(folder);
        var run = Path.Combine(folder, "run");
        var train = await Cli.Run("sae", "train", "--activations", acts, "--arch", "gated", "--d-sae", "16", "--l1-coefficient", "0.5",
            "--batch", "128", "--epochs", "2", "--threads", "1", "--quiet", "--out", run);
        Assert.That(train.ExitCode, Is.Zero, train.Error);
        var (tensors, _) = Safetensors.Read(Path.Combine(run, "saelens", "sae_weights.safetensors"));
        Assert.That(tensors.Keys, Is.EquivalentTo(new[] { "W_enc", "b_gate", "r_mag", "b_mag", "W_dec", "b_dec" }));

        var viaParquet = Path.Combine(folder, "codes.parquet");
        var viaSaeLens = Path.Combine(folder, "codes2.parquet");
        Assert.That((await Cli.Run("sae", "encode", "--sae", run, "--activations", acts, "--out", viaParquet, "--quiet")).ExitCode, Is.Zero);
        Assert.That((await Cli.Run("sae", "encode", "--sae", Path.Combine(run, "saelens"), "--activations", acts, "--out", viaSaeLens, "--quiet")).ExitCode, Is.Zero);
        Assert.That(ActivationParquet.Read(viaSaeLens).Values, Is.EqualTo(ActivationParquet.Read(viaParquet).Values).Within(1e-5));
    }

    [Test]
    public async Task TrueFeaturesAndTheirActivationsGiveTheGroundTruthRecovery()
    {
        var folder = Cli.TempFolder();
        var toy = Path.Combine(folder, "toy");
        var trained = await Cli.Run("toy", "train", "--features", "16", "--neurons", "6", "--steps", "200", "--batch", "256", "--eval-rows", "2000",
            "--seeds", "0", "--quiet", "--out", toy);
        Assert.That(trained.ExitCode, Is.Zero, trained.Error);
        var run = Path.Combine(folder, "sae");
        var result = await Cli.Run("sae", "train", "--activations", Path.Combine(toy, "eval_hidden_seed0.parquet"), "--arch", "paper-toy", "--d-sae", "16",
            "--k", "3", "--batch", "128", "--true-features", Path.Combine(toy, "weights_seed0.parquet"),
            "--true-activations", Path.Combine(toy, "eval_features.parquet"), "--threads", "1", "--quiet", "--json", "--out", run);
        Assert.That(result.ExitCode, Is.Zero, result.Error);
        var truth = JsonDocument.Parse(result.Out).RootElement.GetProperty("groundTruth");
        Assert.That(truth.GetProperty("features").GetInt32(), Is.EqualTo(16));
        foreach (var name in new[] { "mcc", "meanMaxCosine", "uniqueness", "deadFraction" })
            Assert.That(truth.GetProperty(name).GetDouble(), Is.InRange(0.0, 1.0), name);
        var detection = truth.GetProperty("detection");
        foreach (var name in new[] { "precision", "recall", "f1", "accuracy" })
            Assert.That(detection.GetProperty(name).GetDouble(), Is.InRange(0.0, 1.0), name);
        Assert.That(detection.GetProperty("trueL0").GetDouble(), Is.GreaterThan(0));
        var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "summary.json"))).RootElement;
        Assert.That(summary.GetProperty("groundTruth").GetProperty("mcc").GetDouble(), Is.EqualTo(truth.GetProperty("mcc").GetDouble()));

        var alone = await Cli.Run("sae", "train", "--activations", Path.Combine(toy, "eval_hidden_seed0.parquet"), "--true-activations",
            Path.Combine(toy, "eval_features.parquet"), "--quiet", "--out", Path.Combine(folder, "alone"));
        Assert.That(alone.ExitCode, Is.EqualTo(2));
        Assert.That(alone.Error, Does.Contain("--true-activations needs --true-features"));
    }
}
