using SaeAlign.Core;
using SaeAlign.Data;

namespace SaeAlign.ToyModels.Tests;

public class ToyExperimentTests
{
    private static readonly ToyModelConfig Config = new() { Features = 10, Neurons = 4, Steps = 40, Batch = 128, EvalRows = 200 };

    private static string TempFolder() => Path.Combine(Path.GetTempPath(), "saealign-toy-tests", Guid.NewGuid().ToString("N"));

    [Test]
    public void RunFolderLoadsBackAsTheSameModels()
    {
        var folder = TempFolder();
        var written = new ToyExperiment(Config, [2, 5]).Run(folder);
        var loaded = ToyExperiment.Load(folder);

        Assert.That(loaded.Config, Is.EqualTo(Config));
        Assert.That(loaded.Models.Select(m => m.Seed), Is.EqualTo(new long[] { 2, 5 }));
        for (int k = 0; k < 2; k++)
        {
            Assert.That(loaded.Models[k].W, Is.EqualTo(written.Models[k].W));
            Assert.That(loaded.Models[k].Bias, Is.EqualTo(written.Models[k].Bias));
            Assert.That(loaded.Models[k].LossCurve, Is.EqualTo(written.Models[k].LossCurve));
        }
        Assert.That(loaded.Files, Is.EquivalentTo(written.Files));
    }

    [Test]
    public void WritesGroundTruthAndHiddenActivationsForTheSameStimuli()
    {
        var folder = TempFolder();
        var result = new ToyExperiment(Config, [0, 1]).Run(folder);
        var features = ActivationParquet.Read(Path.Combine(folder, "eval_features.parquet"));
        var hidden = ActivationParquet.Read(Path.Combine(folder, "eval_hidden_seed1.parquet"));
        Assert.That(features.Rows, Is.EqualTo(200));
        Assert.That(hidden.Stimuli, Is.EqualTo(features.Stimuli));
        Assert.That(features.UnitNames[0], Is.EqualTo("f0000"));
        var model = result.Models[1];
        double h = 0;
        for (int i = 0; i < Config.Features; i++) h += features[7, i] * model.W[i * Config.Neurons + 2];
        Assert.That(hidden[7, 2], Is.EqualTo(Math.Max(0, h)).Within(1e-5));
    }

    [Test]
    public void AFailedRunLeavesNothingBehind()
    {
        var folder = TempFolder();
        Assert.Throws<InvalidInputException>(() => new ToyExperiment(Config with { Probability = 2 }, [0]).Run(folder));
        Assert.Throws<TrainingDivergedException>(() => new ToyExperiment(Config with { LearningRate = 1e10 }, [0]).Run(folder));
        Assert.That(Directory.Exists(Path.GetDirectoryName(folder))
            ? Directory.GetFileSystemEntries(Path.GetDirectoryName(folder)!, Path.GetFileName(folder) + "*") : [], Is.Empty);
    }

    [Test]
    public void LoadingAnotherKindOfFolderIsBadInput()
    {
        var folder = TempFolder();
        using (var run = RunFolder.Create(folder, force: false))
            run.Commit(new RunManifest("something-else", null, [], new Dictionary<string, string>(), new Dictionary<string, double>()));
        var e = Assert.Throws<InvalidInputException>(() => ToyExperiment.Load(folder));
        Assert.That(e!.Message, Does.Contain("toy-train"));
    }
}
