namespace SaeAlign.ToyModels.Tests;

public class ToyEvaluationTests
{
    private static readonly ToyModelConfig Config = new() { Features = 6, Neurons = 3, Batch = 64, Steps = 5, EvalRows = 150 };

    [Test]
    public void TrainingStreamReplaysExactlyTheBatchesTheModelsWereTrainedOn()
    {
        var model = new ToyModelTrainer(Config).Train([0])[0];
        using var stream = new SparseFeatureStream(Config.Features, Config.Probability, Config.TrainingStreamSeed);
        var batches = Enumerable.Range(0, 3).SelectMany(_ => stream.Next(Config.Batch).data<float>().ToArray()).ToArray();

        var replay = ToyEvaluation.FromStream(Config, [model], Config.TrainingStreamSeed, start: 0, rows: 3 * Config.Batch);
        Assert.That(replay.Features.Values, Is.EqualTo(batches));

        // A window later in the stream holds the same rows with their stream positions as stimulus ids.
        var window = ToyEvaluation.FromStream(Config, [model], Config.TrainingStreamSeed, start: 100, rows: 50);
        Assert.That(window.Features.Values, Is.EqualTo(batches.AsSpan(100 * Config.Features, 50 * Config.Features).ToArray()));
        Assert.That(window.Features.Stimuli[0], Is.EqualTo(100));
        Assert.That(window.Hidden[0].Values, Is.EqualTo(replay.Hidden[0].Values.AsSpan(100 * Config.Neurons, 50 * Config.Neurons).ToArray()));
    }

    [Test]
    public void HiddenOnlyReplayEqualsTheFullReplay()
    {
        var models = new ToyModelTrainer(Config).Train([0, 1]);
        var full = ToyEvaluation.FromStream(Config, models, Config.TrainingStreamSeed, start: 30, rows: 200);
        var hidden = ToyEvaluation.HiddenFromStream(Config, models, Config.TrainingStreamSeed, start: 30, rows: 200);
        for (int k = 0; k < 2; k++)
        {
            Assert.That(hidden[k].Values, Is.EqualTo(full.Hidden[k].Values));
            Assert.That(hidden[k].Stimuli, Is.EqualTo(full.Hidden[k].Stimuli));
        }
    }

    [Test]
    public void OnePassWithAFeatureWindowEqualsTheSeparateReplays()
    {
        var models = new ToyModelTrainer(Config).Train([0, 1]);
        var (hidden, features) = ToyEvaluation.HiddenWithFeatures(Config, models, Config.TrainingStreamSeed, start: 30, rows: 200, featureStart: 170, featureRows: 40);
        var full = ToyEvaluation.FromStream(Config, models, Config.TrainingStreamSeed, start: 30, rows: 200);
        var window = ToyEvaluation.FromStream(Config, models, Config.TrainingStreamSeed, start: 170, rows: 40);
        for (int k = 0; k < 2; k++) Assert.That(hidden[k].Values, Is.EqualTo(full.Hidden[k].Values));
        Assert.That(features.Values, Is.EqualTo(window.Features.Values));
        Assert.That(features.Stimuli, Is.EqualTo(window.Features.Stimuli));
    }

    [Test]
    public void HiddenActivationsAreTheModelAppliedToTheGroundTruthFeatures()
    {
        var model = new ToyModelTrainer(Config).Train([1])[0];
        var evaluation = ToyEvaluation.Generate(Config, [model]);
        Assert.That(evaluation.Features.Rows, Is.EqualTo(150));
        for (int row = 0; row < 150; row += 37)
        for (int j = 0; j < Config.Neurons; j++)
        {
            double h = 0;
            for (int i = 0; i < Config.Features; i++) h += evaluation.Features[row, i] * model.W[i * Config.Neurons + j];
            Assert.That(evaluation.Hidden[0][row, j], Is.EqualTo(Math.Max(0, h)).Within(1e-5), $"row {row}, neuron {j}");
        }
    }

    [Test]
    public void EvaluationStimuliAreNotTrainingStimuli()
    {
        var model = new ToyModelTrainer(Config).Train([0])[0];
        var train = ToyEvaluation.FromStream(Config, [model], Config.TrainingStreamSeed, 0, 150);
        var evaluation = ToyEvaluation.Generate(Config, [model]);
        Assert.That(evaluation.Features.Values, Is.Not.EqualTo(train.Features.Values));
    }
}
