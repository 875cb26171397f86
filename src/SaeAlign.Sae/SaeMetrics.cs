using SaeAlign.Core;
using static TorchSharp.torch;

namespace SaeAlign.Sae;

/// <summary>Dictionary quality on held-out rows, encoding, and how well units track known features (<see cref="GroundTruthRecovery"/> for the rest).</summary>
public static class SaeMetrics
{
    private const int ChunkRows = 8192;

    /// <summary>MSE, FVU, L0, dead fraction and per-latent density of <paramref name="dictionary"/> on rows [start, start + rows), computed on <paramref name="device"/> (default the CPU).</summary>
    public static SaeEvaluation Evaluate(SaeDictionary dictionary, ActivationSet data, int start, int rows, CancellationToken cancellationToken = default, Device? device = null)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var model = dictionary.ToModel(device);
        var all = tensor(data.Values.AsSpan(start * data.Columns, rows * data.Columns).ToArray()).reshape(rows, data.Columns);
        var mean = all.mean([0], keepdim: true).to(model.WDec.device);
        double error = 0, variance = 0, active = 0;
        var fired = zeros(dictionary.DSae, dtype: ScalarType.Float64, device: model.WDec.device);
        for (int first = 0; first < rows; first += ChunkRows)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var chunkScope = NewDisposeScope();
            var x = all.narrow(0, first, Math.Min(ChunkRows, rows - first)).to(model.WDec.device);
            var codes = model.Encode(x);
            var output = model.Decode(codes);
            error += (output - x).square().sum().to_type(ScalarType.Float64).item<double>();
            variance += (x - mean).square().sum().to_type(ScalarType.Float64).item<double>();
            var on = (codes > 0).to_type(ScalarType.Float64);
            active += on.sum().item<double>();
            fired.add_(on.sum(dim: 0));
        }
        var density = (fired / rows).to_type(ScalarType.Float32).cpu().data<float>().ToArray();
        return new SaeEvaluation(
            rows, error / rows, variance > 0 ? error / variance : double.NaN, active / rows,
            density.Count(d => d == 0) / (double)density.Length, density);
    }

    /// <summary>Inference codes of every row, [rows, d_sae] dense; wide SAEs want <see cref="EncodeSparse"/>.</summary>
    public static ActivationSet Encode(SaeDictionary dictionary, ActivationSet data, CancellationToken cancellationToken = default, Device? device = null) =>
        EncodeSparse(dictionary, data, cancellationToken, device).ToDense();

    /// <summary>
    /// Inference codes of every row, kept sparse: only a chunk of rows is ever dense (at most about 32 MB), so 20,000 rows
    /// of a 65,536-latent TopK SAE take their k nonzeros per row, not 5 GB. The model runs on <paramref name="device"/> (default the CPU).
    /// </summary>
    public static SparseCodes EncodeSparse(SaeDictionary dictionary, ActivationSet data, CancellationToken cancellationToken = default, Device? device = null)
    {
        InvalidInputException.Require(data.Columns == dictionary.DIn,
            $"the activations have {data.Columns} columns but the SAE's d_in is {dictionary.DIn}.");
        using var model = dictionary.ToModel(device);
        int chunkRows = Math.Clamp((8 << 20) / dictionary.DSae, 1, ChunkRows);
        var builder = new SparseCodes.Builder(dictionary.DSae);
        var dense = new float[(long)chunkRows * dictionary.DSae];
        for (int first = 0; first < data.Rows; first += chunkRows)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            int rows = Math.Min(chunkRows, data.Rows - first);
            var x = tensor(data.Values.AsSpan(first * data.Columns, rows * data.Columns).ToArray()).reshape(rows, data.Columns).to(model.WDec.device);
            model.Encode(x).cpu().contiguous().data<float>().CopyTo(dense, 0);
            for (int r = 0; r < rows; r++) builder.AddDenseRow(dense.AsSpan(r * dictionary.DSae, dictionary.DSae));
        }
        var names = Enumerable.Range(0, dictionary.DSae).Select(i => $"l{i:D5}").ToArray();
        return builder.Build(data.Stimuli, names);
    }

    /// <summary>
    /// For each column of <paramref name="truth"/>, the best Pearson correlation (over rows) with any column of
    /// <paramref name="units"/>: how well some unit tracks each ground-truth feature. Constant columns correlate 0.
    /// </summary>
    public static double[] BestCorrelations(ActivationSet truth, ActivationSet units)
    {
        InvalidInputException.Require(truth.Rows == units.Rows, $"{truth.Rows} ground-truth rows but {units.Rows} unit rows.");
        using var scope = NewDisposeScope();
        static Tensor Standardise(ActivationSet set)
        {
            var t = tensor(set.Values).reshape(set.Rows, set.Columns).to_type(ScalarType.Float64);
            var centred = t - t.mean([0], keepdim: true);
            var norm = centred.norm(0, keepdim: true);
            return where(norm > 0, centred / norm.clamp_min(1e-300), zeros_like(centred));
        }
        var correlation = matmul(Standardise(truth).t(), Standardise(units));
        return correlation.max(1).values.data<double>().ToArray();
    }

    /// <summary>The mean of <see cref="BestCorrelations"/> over the ground-truth features.</summary>
    public static double MeanBestCorrelation(ActivationSet truth, ActivationSet units) => BestCorrelations(truth, units).Average();
}
