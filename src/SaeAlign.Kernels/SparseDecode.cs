using ILGPU;
using ILGPU.Runtime;

namespace SaeAlign.Kernels;

/// <summary>
/// The decode of k active latents per row, fused with the residual, its squared error, and its backward: x̂[b] = Σ_t v[b,t] W_dec[i[b,t]]
/// never exists apart from its residual, and only the k selected decoder rows per sample receive gradient.
/// </summary>
internal sealed class SparseDecode
{
    private readonly Action<Index1D, ArrayView<int>, ArrayView<float>, ArrayView<float>, ArrayView<float>, float, ArrayView<float>, float, ArrayView<float>, int, int> residual;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, int> rowSquares;
    private readonly Action<Index1D, ArrayView<int>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, float, int, int, int> codeGradient;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, float, ArrayView<float>> addScaled;
    private readonly Action<Index1D, int, ArrayView<int>, ArrayView<float>, ArrayView<float>, ArrayView<float>, float, int, int> decoderGradient;
    private readonly int maxExtent;

    /// <param name="maxExtent">The most threads one launch of an (entry, column) kernel gets (<see cref="LaunchSlices"/>).</param>
    public SparseDecode(Accelerator accelerator, int maxExtent = LaunchSlices.MaxExtent)
    {
        this.maxExtent = maxExtent;
        residual = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<int>, ArrayView<float>, ArrayView<float>, ArrayView<float>, float, ArrayView<float>, float, ArrayView<float>, int, int>(ResidualKernel);
        rowSquares = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, int>(RowSquaresKernel);
        codeGradient = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<int>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, float, int, int, int>(CodeGradientKernel);
        addScaled = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, float, ArrayView<float>>(AddScaledKernel);
        decoderGradient = accelerator.LoadAutoGroupedStreamKernel<Index1D, int, ArrayView<int>, ArrayView<float>, ArrayView<float>, ArrayView<float>, float, int, int>(DecoderGradientKernel);
    }

    /// <summary>
    /// result[b, j] = Σ_t v[b,t] W_dec[i[b,t], j] + biasWeight · bias[j] + offsetWeight · offset[b, j], for <paramref name="rows"/> rows:
    /// the reconstruction's residual x̂ - x (bias b_dec, offset x with weight -1), or AuxK's (no bias, offset the main residual).
    /// </summary>
    public void Residual(int rows, ArrayView<int> indices, ArrayView<float> codes, ArrayView<float> decoder, ArrayView<float> bias, float biasWeight,
        ArrayView<float> offset, float offsetWeight, ArrayView<float> result, int k, int dIn) =>
        residual(rows * dIn, indices, codes, decoder, bias, biasWeight, offset, offsetWeight, result, k, dIn);

    /// <summary>result[b] = Σ_j r[b, j]².</summary>
    public void RowSquares(int rows, ArrayView<float> r, ArrayView<float> result, int dIn) => rowSquares(rows, r, result, dIn);

    /// <summary>result[e] = a[e] + weight · b[e] for the first <paramref name="count"/> entries.</summary>
    public void AddScaled(int count, ArrayView<float> a, ArrayView<float> b, float weight, ArrayView<float> result) => addScaled(count, a, b, weight, result);

    /// <summary>
    /// The gradient reaching each entry's pre-activation: scale · r[b]·W_dec[i[b,t]], where the code is positive when
    /// <paramref name="positiveOnly"/> (a ReLU'd code: ReLU passes it only there), 0 elsewhere; <paramref name="scale"/> is
    /// ∂loss/∂r's factor (2/B times the term's weight).
    /// </summary>
    public void CodeGradient(int entries, ArrayView<int> indices, ArrayView<float> codes, ArrayView<float> decoder, ArrayView<float> r,
        ArrayView<float> result, float scale, int k, int dIn, bool positiveOnly) =>
        codeGradient(entries, indices, codes, decoder, r, result, scale, k, dIn, positiveOnly ? 1 : 0);

    /// <summary>∂W_dec[i[b,t], j] += scale · v[b,t] · r[b, j]; rows shared by several samples add atomically.</summary>
    public void DecoderGradient(int entries, ArrayView<int> indices, ArrayView<float> codes, ArrayView<float> r, ArrayView<float> gradient,
        float scale, int k, int dIn) =>
        LaunchSlices.Run(entries, dIn, maxExtent, (first, count) => decoderGradient(count * dIn, first, indices, codes, r, gradient, scale, k, dIn));

    private static void ResidualKernel(Index1D index, ArrayView<int> indices, ArrayView<float> codes, ArrayView<float> decoder, ArrayView<float> bias, float biasWeight,
        ArrayView<float> offset, float offsetWeight, ArrayView<float> result, int k, int dIn)
    {
        int b = index / dIn, j = index % dIn;
        float sum = biasWeight * bias[j] + offsetWeight * offset[index];
        for (int t = 0; t < k; t++) sum += codes[b * k + t] * decoder[(long)indices[b * k + t] * dIn + j];
        result[index] = sum;
    }

    private static void RowSquaresKernel(Index1D b, ArrayView<float> r, ArrayView<float> result, int dIn)
    {
        float sum = 0;
        for (int j = 0; j < dIn; j++) sum += r[(long)b.X * dIn + j] * r[(long)b.X * dIn + j];
        result[b] = sum;
    }

    private static void AddScaledKernel(Index1D index, ArrayView<float> a, ArrayView<float> b, float weight, ArrayView<float> result) =>
        result[index] = a[index] + weight * b[index];

    private static void CodeGradientKernel(Index1D entry, ArrayView<int> indices, ArrayView<float> codes, ArrayView<float> decoder, ArrayView<float> r,
        ArrayView<float> result, float scale, int k, int dIn, int positiveOnly)
    {
        if (positiveOnly != 0 && !(codes[entry] > 0))
        {
            result[entry] = 0;
            return;
        }
        long b = entry / k, row = (long)indices[entry] * dIn;
        float sum = 0;
        for (int j = 0; j < dIn; j++) sum += r[b * dIn + j] * decoder[row + j];
        result[entry] = scale * sum;
    }

    private static void DecoderGradientKernel(Index1D index, int firstEntry, ArrayView<int> indices, ArrayView<float> codes, ArrayView<float> r, ArrayView<float> gradient,
        float scale, int k, int dIn)
    {
        int entry = firstEntry + index / dIn, j = index % dIn;
        float code = codes[entry];
        if (code == 0) return;
        Atomic.Add(ref gradient[(long)indices[entry] * dIn + j], scale * code * r[(long)(entry / k) * dIn + j]);
    }
}
