using SaeAlign.Core;
using static TorchSharp.torch;

namespace SaeAlign.Sae;

/// <summary>
/// How well an SAE recovers a toy model's true features, as SAELens' SynthSAEBench measures it, on held-out rows.
/// Decoder rows against the true directions: <see cref="Mcc"/> (mean |cos| of the optimal one-to-one matching),
/// <see cref="MeanMaxCosine"/> and <see cref="Recovered"/> (each feature's best cosine, and how many pass 0.9), and
/// <see cref="Uniqueness"/> (distinct best-matching features over latents). On the rows: <see cref="ExplainedVariance"/>
/// (1 - MSE / variance about the mean), <see cref="Shrinkage"/> (mean ||x̂|| / ||x||), <see cref="L0"/> and
/// <see cref="DeadFraction"/>. Given the true feature activations, each latent as a detector of its best-matching
/// feature's firing: mean precision, recall, F1 and accuracy over latents (0 where undefined), and the true L0.
/// </summary>
public sealed record GroundTruthRecovery(
    int Features,
    double Mcc,
    double MeanMaxCosine,
    int Recovered,
    double Uniqueness,
    double ExplainedVariance,
    double Shrinkage,
    double L0,
    double DeadFraction,
    FeatureDetection? Detection)
{
    /// <summary>The cosine above which a feature counts as recovered.</summary>
    public const double RecoveredCosine = 0.9;

    private const int ChunkRows = 4096;

    /// <param name="directions">The true feature directions, row-major [<paramref name="n"/>, d_in] (a toy model's W).</param>
    /// <param name="rows">The held-out activations the row metrics are measured on.</param>
    /// <param name="trueActivations">The true features' activations on the same rows, or null (no detection scores).</param>
    public static GroundTruthRecovery Measure(SaeDictionary dictionary, float[] directions, int n, ActivationSet rows, ActivationSet? trueActivations = null,
        CancellationToken cancellationToken = default)
    {
        int dSae = dictionary.DSae;
        InvalidInputException.Require(n >= 1 && directions.LongLength == (long)n * dictionary.DIn,
            $"{InputField.Named("trueFeatures")}: the true features have {directions.LongLength / Math.Max(n, 1)} dimensions but the SAE's d_in is {dictionary.DIn}.");
        InvalidInputException.Require(rows.Columns == dictionary.DIn, $"the activations have {rows.Columns} columns but the SAE's d_in is {dictionary.DIn}.");
        if (trueActivations is not null)
            InvalidInputException.Require(trueActivations.Rows == rows.Rows && trueActivations.Columns == n,
                $"{InputField.Named("trueActivations")}: {trueActivations.Rows} rows of {trueActivations.Columns} features, expected {rows.Rows} rows of the toy model's {n}.");

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var cosine = matmul(UnitRows(dictionary.WDec, dSae, dictionary.DIn), UnitRows(directions, n, dictionary.DIn).t()); // [d_sae, n]
        var absolute = cosine.abs();
        var cost = (1 - absolute).contiguous().data<double>().ToArray();
        var matched = LinearAssignment.Minimize(cost, dSae, n);
        double mcc = matched.Select((j, i) => j < 0 ? double.NaN : 1 - cost[(long)i * n + j]).Where(c => !double.IsNaN(c)).Average();
        var best = cosine.max(dim: 0).values.data<double>().ToArray();
        var bestFeature = absolute.argmax(1);
        double uniqueness = bestFeature.unique().Item1.numel() / (double)dSae;

        using var model = dictionary.ToModel();
        var sum = zeros(rows.Columns, dtype: ScalarType.Float64);
        var detection = trueActivations is null ? null : new DetectionCounts(dSae);
        double squaredNorms = 0, residuals = 0, shrinkage = 0, active = 0, trueActive = 0;
        int shrinkageRows = 0;
        var fired = zeros(dSae, dtype: ScalarType.Bool);
        for (int first = 0; first < rows.Rows; first += ChunkRows)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var chunk = NewDisposeScope();
            int count = Math.Min(ChunkRows, rows.Rows - first);
            var x = Slice(rows, first, count);
            var codes = model.Encode(x);
            var output = model.Decode(codes);
            var x64 = x.to_type(ScalarType.Float64);
            sum.add_(x64.sum(dim: 0));
            squaredNorms += x64.square().sum().item<double>();
            residuals += (output.to_type(ScalarType.Float64) - x64).square().sum().item<double>();
            var inputNorms = x64.norm(1);
            var valid = inputNorms > 1e-6;
            shrinkage += (output.to_type(ScalarType.Float64).norm(1) / inputNorms.clamp_min(1e-6)).masked_select(valid).sum().item<double>();
            shrinkageRows += (int)valid.sum().item<long>();
            var on = codes > 0;
            active += on.sum().item<long>();
            fired.logical_or_(on.any(dim: 0));
            if (detection is not null)
            {
                var featureOn = Slice(trueActivations!, first, count) > 0;
                trueActive += featureOn.sum().item<long>();
                detection.Add(on, featureOn.index_select(1, bestFeature));
            }
        }
        double squaredNormOfMean = sum.square().sum().item<double>() / ((double)rows.Rows * rows.Rows);
        double variance = squaredNorms / rows.Rows - squaredNormOfMean;
        return new GroundTruthRecovery(
            n, mcc, best.Average(), best.Count(c => c > RecoveredCosine), uniqueness,
            // As SynthSAEBench: constant rows are explained when reconstructed exactly; no row with a norm, no shrinkage.
            variance > 1e-10 ? 1 - residuals / rows.Rows / variance : residuals < 1e-10 ? 1 : 0,
            shrinkageRows > 0 ? shrinkage / shrinkageRows : 0,
            active / rows.Rows,
            1 - fired.sum().item<long>() / (double)dSae,
            detection?.Scores(trueActive / rows.Rows));
    }

    private static Tensor UnitRows(float[] values, int rows, int columns)
    {
        var matrix = tensor(values).reshape(rows, columns).to_type(ScalarType.Float64);
        return matrix / matrix.norm(1, keepdim: true).clamp_min(1e-12);
    }

    private static Tensor Slice(ActivationSet set, int first, int count) =>
        tensor(set.Values.AsSpan(first * set.Columns, count * set.Columns).ToArray()).reshape(count, set.Columns);

    /// <summary>Per latent: rows where it and its matched feature fire together, alone, or neither.</summary>
    private sealed class DetectionCounts(int latents)
    {
        private readonly double[] truePositive = new double[latents], falsePositive = new double[latents], falseNegative = new double[latents];
        private double rows;

        public void Add(Tensor latentOn, Tensor featureOn)
        {
            Accumulate(truePositive, latentOn.logical_and(featureOn));
            Accumulate(falsePositive, latentOn.logical_and(featureOn.logical_not()));
            Accumulate(falseNegative, latentOn.logical_not().logical_and(featureOn));
            rows += latentOn.shape[0];
        }

        public FeatureDetection Scores(double trueL0)
        {
            double precision = 0, recall = 0, f1 = 0, accuracy = 0;
            for (int i = 0; i < truePositive.Length; i++)
            {
                double tp = truePositive[i], fp = falsePositive[i], fn = falseNegative[i];
                double p = tp + fp > 0 ? tp / (tp + fp) : 0, r = tp + fn > 0 ? tp / (tp + fn) : 0;
                precision += p;
                recall += r;
                f1 += p + r > 0 ? 2 * p * r / (p + r) : 0;
                accuracy += (rows - fp - fn) / rows;
            }
            int n = truePositive.Length;
            return new FeatureDetection(precision / n, recall / n, f1 / n, accuracy / n, trueL0);
        }

        private static void Accumulate(double[] counts, Tensor both)
        {
            var column = both.sum(dim: 0).to_type(ScalarType.Float64).data<double>().ToArray();
            for (int i = 0; i < counts.Length; i++) counts[i] += column[i];
        }
    }
}

/// <summary>Each latent as a detector of its best-matching true feature's firing, averaged over latents; and the true features' L0.</summary>
public sealed record FeatureDetection(double Precision, double Recall, double F1, double Accuracy, double TrueL0);
