using System.Text.Json;
using System.Text.Json.Nodes;
using SaeAlign.Core;
using SaeAlign.Data;
using SaeAlign.Sae;

namespace SaeAlign.Pipelines.Tests;

/// <summary>The pipeline's SAE stage writes a <c>sae train</c> run folder, and still reuses the two-file folders it wrote before.</summary>
public class SaeStageFolderTests
{
    private const int Width = 16;

    /// <summary>A pipeline folder with the toy stage and the SAE stages of <paramref name="seeds"/>.</summary>
    private static (string Folder, PipelineSpec Spec, DisentanglementPipeline Pipeline) WithSaeStages(params long[] seeds)
    {
        var folder = DisentanglementPipelineTests.TempFolder();
        var spec = DisentanglementPipelineTests.Small();
        var pipeline = new DisentanglementPipeline(spec, "paper-toy");
        pipeline.RunToy(folder, Width);
        foreach (long seed in seeds) pipeline.RunSae(folder, Width, seed);
        return (folder, spec, pipeline);
    }

    [Test]
    public void SaeStageFolderIsASaeTrainRunFolder()
    {
        var (folder, spec, _) = WithSaeStages(0);
        string stage = Path.Combine(folder, DisentanglementPipeline.SaeStage(Width, 0));

        // `sae train` on other activations of the same width, with the toy model's features for the recovery metrics.
        var random = new Random(3);
        var values = new float[3_000 * Width];
        for (int i = 0; i < values.Length; i++) values[i] = random.NextDouble() < 0.3 ? (float)random.NextDouble() : 0f;
        string activations = Path.Combine(folder, "acts.npy");
        Npy.Write(activations, values, values.Length / Width, Width);
        var truth = ModelWeightsParquet.Read(Path.Combine(folder, DisentanglementPipeline.ToyStage(Width), "weights_seed0.parquet"));
        string train = new SaeTrainingRun(spec.Sae, new SaeTrainerOptions()).Run(activations, Path.Combine(folder, "sae-train"), force: false, truth).Folder;

        var stageRun = RunFolder.Read(stage);
        var trainRun = RunFolder.Read(train);
        Assert.That(stageRun.Manifest.Kind, Is.EqualTo(trainRun.Manifest.Kind));
        Assert.That(stageRun.Files.Keys, Is.EquivalentTo(trainRun.Files.Keys));
        foreach (string table in new[] { SaeTrainingRun.MetricsFile, SaeTrainingRun.DensityFile })
            Assert.That(TableSchema(Path.Combine(stage, table)), Is.EqualTo(TableSchema(Path.Combine(train, table))), table);
        foreach (string json in new[] { SaeTrainingRun.SummaryFile, $"{SaeTrainingRun.SaeLensSubfolder}/{SaeLensFolder.ConfigFile}" })
            Assert.That(JsonSchema(Path.Combine(stage, json)), Is.EqualTo(JsonSchema(Path.Combine(train, json))), json);
        Assert.That(JsonNode.Parse(File.ReadAllText(Path.Combine(stage, SaeTrainingRun.SummaryFile)))!["featuresRecovered"], Is.Not.Null,
            "the pipeline knows its toy model's features");

        // `replay --source-sae` and `sae encode --sae` read the folder, or its SAELens folder, through DictionaryFile.
        var hidden = ActivationFile.Read(activations);
        var codes = SaeMetrics.Encode(DictionaryFile.Read(stage, InputField.Named("sourceSae")), hidden).Values;
        Assert.That(codes, Is.EqualTo(SaeMetrics.Encode(SaeDictionary.ReadParquet(Path.Combine(stage, SaeTrainingRun.DictionaryFile)), hidden).Values));
        Assert.That(SaeMetrics.Encode(DictionaryFile.Read(Path.Combine(stage, SaeTrainingRun.SaeLensSubfolder), InputField.Named("sae")), hidden).Values, Is.EqualTo(codes));
        Directory.Delete(folder, recursive: true);
    }

    [Test]
    public void SaeStageFoldersOfThePreviousVersionAreReused()
    {
        var (folder, spec, pipeline) = WithSaeStages(0, 1);
        foreach (long seed in spec.Seeds)
        {
            string stage = Path.Combine(folder, DisentanglementPipeline.SaeStage(Width, seed));
            // The folder as the previous version wrote it: the same manifest key, the dictionary, and a (step, loss) curve.
            var manifest = RunFolder.Read(stage).Manifest;
            byte[] dictionary = File.ReadAllBytes(Path.Combine(stage, SaeTrainingRun.DictionaryFile));
            var (steps, loss) = SaeTrainingRun.ReadLossCurve(stage);
            Directory.Delete(stage, recursive: true);
            PipelineStage.RunOrSkip(stage, manifest.Kind, manifest.Config!, manifest.Seeds, run =>
            {
                File.WriteAllBytes(run.PathFor(SaeTrainingRun.DictionaryFile), dictionary);
                TableParquet.Write(run.PathFor(SaeTrainingRun.MetricsFile), [TableColumn.Int32("step", steps), TableColumn.Float32("loss", loss)]);
                return new Dictionary<string, double>();
            });
            Assert.That(Directory.GetFileSystemEntries(stage).Select(Path.GetFileName),
                Is.EquivalentTo(new[] { SaeTrainingRun.DictionaryFile, SaeTrainingRun.MetricsFile, RunFolder.ManifestFileName, RunFolder.TimingsFileName }));
        }

        var result = pipeline.Run(folder);
        Assert.That(result.StagesRun, Is.EqualTo(new[] { DisentanglementPipeline.AlignmentStage(Width) }), "the old SAE stages are reused");
        PipelineReportTests.AssertFigures(Path.Combine(folder, DisentanglementPipeline.ReportFolder), Width);
        Assert.That(DictionaryFile.Read(Path.Combine(folder, DisentanglementPipeline.SaeStage(Width, 0)), InputField.Named("sae")).DSae, Is.EqualTo(spec.Sae.DSae));
        Directory.Delete(folder, recursive: true);
    }

    [Test]
    public void MetricsWithALossColumnOfAnotherTypeAreBadInputNamingFileAndColumn()
    {
        var folder = DisentanglementPipelineTests.TempFolder();
        Directory.CreateDirectory(folder);
        TableParquet.Write(Path.Combine(folder, SaeTrainingRun.MetricsFile), [TableColumn.Int32("step", [1, 2]), TableColumn.Float64("loss", [0.5, 0.25])]);
        var error = Assert.Throws<InvalidInputException>(() => SaeTrainingRun.ReadLossCurve(folder));
        Assert.That(error!.Message, Does.Contain(SaeTrainingRun.MetricsFile).And.Contain("'loss'").And.Not.Contain("\n"));
        Directory.Delete(folder, recursive: true);
    }

    private static string[] TableSchema(string path) => TableParquet.Read(path).Select(c => $"{c.Name}: {c.Values.GetType().Name}").ToArray();

    private static string[] JsonSchema(string path)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        return document.RootElement.EnumerateObject().Select(p => $"{p.Name}: {p.Value.ValueKind}").ToArray();
    }
}
