using ILGPU;
using ILGPU.Runtime;

namespace SaeAlign.Kernels;

/// <summary>
/// The encoder's side of a k-sparse step: the centred input x - b_dec, and the backward of pre = (x - b_dec) W_enc + b_enc
/// restricted to the selected latents, so W_enc's gradient touches B·k columns instead of d_sae.
/// </summary>
internal sealed class SparseEncoder
{
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, float> centre;
    private readonly Action<Index1D, int, ArrayView<int>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int> encoderGradient;
    private readonly Action<Index1D, ArrayView<int>, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, int> inputGradient;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, float, float, int> decoderBiasGradient;

    private readonly int maxExtent;

    /// <param name="maxExtent">The most threads one launch of an (entry, column) kernel gets (<see cref="LaunchSlices"/>).</param>
    public SparseEncoder(Accelerator accelerator, int maxExtent = LaunchSlices.MaxExtent)
    {
        this.maxExtent = maxExtent;
        centre = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, float>(CentreKernel);
        encoderGradient = accelerator.LoadAutoGroupedStreamKernel<Index1D, int, ArrayView<int>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int>(EncoderGradientKernel);
        inputGradient = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<int>, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, int>(InputGradientKernel);
        decoderBiasGradient = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, float, float, int>(DecoderBiasGradientKernel);
    }

    /// <summary>centred[b, j] = x[b, j] - sign · b_dec[j] (sign 0 for architectures that do not centre on b_dec).</summary>
    public void Centre(int rows, ArrayView<float> x, ArrayView<float> decoderBias, ArrayView<float> centred, int dIn, float sign) =>
        centre(rows * dIn, x, decoderBias, centred, dIn, sign);

    /// <summary>∂W_enc[j, i[b,t]] += g[b,t] · centred[b, j] and ∂b_enc[i[b,t]] += g[b,t], atomically.</summary>
    public void EncoderGradient(int entries, ArrayView<int> indices, ArrayView<float> gradient, ArrayView<float> centred,
        ArrayView<float> encoderGradient, ArrayView<float> biasGradient, int k, int dIn, int dSae) =>
        LaunchSlices.Run(entries, dIn, maxExtent,
            (first, count) => this.encoderGradient(count * dIn, first, indices, gradient, centred, encoderGradient, biasGradient, k, dIn, dSae));

    /// <summary>∂centred[b, j] = Σ_t g[b,t] W_enc[j, i[b,t]] + Σ_t g_aux[b,t] W_enc[j, i_aux[b,t]] (no atomics: one thread per element).</summary>
    public void InputGradient(int rows, ArrayView<int> indices, ArrayView<float> gradient, ArrayView<int> auxIndices, ArrayView<float> auxGradient,
        ArrayView<float> encoder, ArrayView<float> result, int k, int auxK, int dIn, int dSae) =>
        inputGradient(rows * dIn, indices, gradient, auxIndices, auxGradient, encoder, result, k, auxK, dIn, dSae);

    /// <summary>∂b_dec[j] = Σ_b (scale · r[b, j] - sign · ∂centred[b, j]): the reconstruction's bias and the input's centring.</summary>
    public void DecoderBiasGradient(int rows, ArrayView<float> r, ArrayView<float> inputGradient, ArrayView<float> result, float scale, float sign, int dIn) =>
        decoderBiasGradient(dIn, r, inputGradient, result, scale, sign, rows);

    private static void CentreKernel(Index1D index, ArrayView<float> x, ArrayView<float> decoderBias, ArrayView<float> centred, int dIn, float sign) =>
        centred[index] = x[index] - sign * decoderBias[index % dIn];

    private static void EncoderGradientKernel(Index1D index, int firstEntry, ArrayView<int> indices, ArrayView<float> gradient, ArrayView<float> centred,
        ArrayView<float> encoderGradient, ArrayView<float> biasGradient, int k, int dIn, int dSae)
    {
        int entry = firstEntry + index / dIn, j = index % dIn;
        float g = gradient[entry];
        if (g == 0) return;
        int latent = indices[entry];
        Atomic.Add(ref encoderGradient[(long)j * dSae + latent], g * centred[(long)(entry / k) * dIn + j]);
        if (j == 0) Atomic.Add(ref biasGradient[latent], g);
    }

    private static void InputGradientKernel(Index1D index, ArrayView<int> indices, ArrayView<float> gradient, ArrayView<int> auxIndices, ArrayView<float> auxGradient,
        ArrayView<float> encoder, ArrayView<float> result, int k, int auxK, int dIn, int dSae)
    {
        int b = index / dIn, j = index % dIn;
        long column = (long)j * dSae;
        float sum = 0;
        for (int t = 0; t < k; t++) sum += gradient[b * k + t] * encoder[column + indices[b * k + t]];
        for (int t = 0; t < auxK; t++) sum += auxGradient[b * auxK + t] * encoder[column + auxIndices[b * auxK + t]];
        result[index] = sum;
    }

    private static void DecoderBiasGradientKernel(Index1D j, ArrayView<float> r, ArrayView<float> inputGradient, ArrayView<float> result, float scale, float sign, int rows)
    {
        int dIn = (int)result.Length;
        float sum = 0;
        for (int b = 0; b < rows; b++) sum += scale * r[(long)b * dIn + j] - sign * inputGradient[(long)b * dIn + j];
        result[j] = sum;
    }
}
