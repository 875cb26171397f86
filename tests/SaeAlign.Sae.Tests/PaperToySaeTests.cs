using SaeAlign.Core;

namespace SaeAlign.Sae.Tests;

/// <summary>paper-toy against the paper's own code (tools/SaeAlign.Bench/python/sae_paper_reference.py, PyTorch 1.13).</summary>
public class PaperToySaeTests
{
    private static readonly float[] WEnc = [-4.61407572e-01f, -4.69229847e-01f, -1.00447625e-01f, -1.75274476e-01f, 3.48305643e-01f, 2.80508459e-01f, -1.28264949e-01f, -8.63822818e-01f, 1.29793420e-01f, -5.13930082e-01f, 1.41349509e-01f, 1.24119878e-01f, 5.08819856e-02f, 5.03265142e-01f, 4.57908362e-01f, -1.01342969e-01f, -5.53963959e-01f, -6.90398574e-01f, 2.29372934e-01f, 3.21954042e-01f, 2.46459007e-01f, -6.36845291e-01f, -1.37374759e-01f, 7.54697144e-01f, 3.08138013e-01f, -2.37033442e-01f, -7.27231354e-02f, 7.29549751e-02f, 5.69196403e-01f, 6.49602413e-01f, 3.88285637e-01f, -3.44165981e-01f];
    private static readonly float[] WDec = [-2.52283931e-01f, 1.11576552e-02f, -2.02833802e-01f, 1.00013599e-01f, 1.77966610e-01f, 4.41250019e-02f, 2.59691119e-01f, 1.78105101e-01f, -3.98518965e-02f, 3.24981093e-01f, -1.16272226e-01f, 2.34362818e-02f, 2.15250447e-01f, 9.40304339e-01f, -5.97660184e-01f, -6.45755947e-01f, -2.72786587e-01f, 3.58322024e-01f, 4.32807326e-01f, 7.45524019e-02f, -9.20386091e-02f, -1.57937527e-01f, 2.23712251e-01f, -1.60791427e-01f, -1.80170670e-01f, 3.05717379e-01f, 6.22926056e-01f, 1.39423954e+00f, -6.26932979e-01f, -5.05805433e-01f, 7.41092324e-01f, -2.23362371e-01f];
    private static readonly float[] BEnc = [1.62409968e-03f, -1.93248712e-03f, -1.46549416e-03f, 1.65651040e-03f, 1.98635831e-03f, -1.98984635e-03f, 1.98117550e-03f, -1.83519849e-03f];
    private static readonly float[] BDec = [1.99509179e-03f, -2.82681547e-04f, -1.97267765e-03f, -1.07531669e-03f];

    [Test]
    public void TrainingMatchesThePapersCodeStepForStep()
    {
        const int rows = 10, dIn = 4;
        var values = new float[rows * dIn];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < dIn; j++) values[i * dIn + j] = (float)(Math.Sin(1.3f * i + 0.7f * j) + 0.1f * j);
        var config = new PaperToySaeConfig { DSae = 8, K = 2, Batch = 4 };

        var result = new SaeTrainer(config).Train(new ActivationSet(values, rows, dIn));

        Assert.That(result.Steps, Is.EqualTo(2), "one pass over the first 80% (8 rows) in batches of 4");
        Assert.That(result.Dictionary.WEnc, Is.EqualTo(WEnc).Within(2e-5));
        Assert.That(result.Dictionary.WDec, Is.EqualTo(WDec).Within(2e-5));
        Assert.That(result.Dictionary.BEnc, Is.EqualTo(BEnc).Within(2e-6));
        Assert.That(result.Dictionary.BDec, Is.EqualTo(BDec).Within(2e-6));
    }

    [Test]
    public void DefaultsAreThePapers()
    {
        var config = (PaperToySaeConfig)SaeArchitecture.PaperToy.Defaults;
        Assert.Multiple(() =>
        {
            Assert.That((config.DSae, config.K, config.Batch, config.Epochs, config.TrainFraction, config.Shuffle), Is.EqualTo(((int?)64, 7, 1024, (int?)1, 0.8, false)));
            Assert.That((config.LearningRate, config.WeightDecay, config.AuxKCoefficient), Is.EqualTo((1e-3, 0.01, 0.1)));
            Assert.That((config.NormalizeInput, config.UnitNormDecoder, config.DecoderBiasInit), Is.EqualTo((false, false, DecoderBiasInit.Zeros)));
        });
    }
}
