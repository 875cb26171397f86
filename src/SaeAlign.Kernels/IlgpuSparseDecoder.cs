using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;
using static TorchSharp.torch;

namespace SaeAlign.Kernels;

/// <summary>
/// TopK sparse decode x̂[b] = Σ_t v[b,t] W_dec[i[b,t]] and its backward as ILGPU kernels, wrapped as a
/// TorchSharp autograd function, so gradients reach the values and W_dec like the dense product's. ILGPU
/// compiles the kernels to PTX and runs them through the CUDA driver alone when a CUDA device exists;
/// otherwise (and in tests) the same kernels run on ILGPU's CPU accelerator.
/// </summary>
public sealed class IlgpuSparseDecoder : IDisposable
{
    private readonly Context context;
    private readonly Accelerator accelerator;
    private readonly Action<Index1D, ArrayView<long>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int> decode;
    private readonly Action<Index1D, ArrayView<long>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int> valueGradient;
    private readonly Action<Index1D, ArrayView<long>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int> decoderGradient;
    private readonly Action<Index1D, ArrayView<long>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int> residual;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, int> rowSquares;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, int> columnSums;

    private IlgpuSparseDecoder(Context context, Accelerator accelerator)
    {
        this.context = context;
        this.accelerator = accelerator;
        decode = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<long>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>(DecodeKernel);
        valueGradient = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<long>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>(ValueGradientKernel);
        decoderGradient = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<long>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>(DecoderGradientKernel);
        residual = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<long>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>(ResidualKernel);
        rowSquares = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, int>(RowSquaresKernel);
        columnSums = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, int>(ColumnSumsKernel);
    }

    /// <summary>The accelerator's name, e.g. "NVIDIA H100" or "CPUAccelerator".</summary>
    public string DeviceName => accelerator.Name;

    public bool IsCuda => accelerator.AcceleratorType == AcceleratorType.Cuda;

    /// <summary>The kernels on ILGPU's CPU accelerator (tests, machines without a GPU).</summary>
    public static IlgpuSparseDecoder OnCpu()
    {
        var context = Context.Create(builder => builder.CPU());
        return new IlgpuSparseDecoder(context, context.CreateCPUAccelerator(0));
    }

    /// <summary>The kernels on the first CUDA device, or null when the machine has none (no CUDA toolkit needed, only the driver).</summary>
    public static IlgpuSparseDecoder? OnCuda()
    {
        var context = Context.Create(builder => builder.Cuda());
        if (context.GetCudaDevices().Count == 0)
        {
            context.Dispose();
            return null;
        }
        return new IlgpuSparseDecoder(context, context.CreateCudaAccelerator(0));
    }

    /// <summary>indices [B, k] int64, values [B, k], decoder [d_sae, d_in] -> [B, d_in] (no bias); differentiable in values and decoder.</summary>
    public Tensor Decode(Tensor indices, Tensor values, Tensor decoder) => SparseDecodeFunction.apply(indices, values, decoder, this);

    /// <summary>
    /// The fused reconstruction term: mean over rows of Σ_j (Σ_t v[b,t] W_dec[i[b,t], j] + bias[j] - target[b, j])², without
    /// materialising the decoded batch in torch; differentiable in values, decoder and bias (the target is data). With the
    /// input as target and b_dec as bias it is the TopK MSE; with the detached residual as target and zero bias, AuxK's term.
    /// </summary>
    public Tensor SquaredError(Tensor indices, Tensor values, Tensor decoder, Tensor bias, Tensor target) =>
        SparseSquaredErrorFunction.apply(indices, values, decoder, bias, target, this);

    /// <summary>Per-element residuals [B·d_in] and the loss (mean over rows of the row sums of squares).</summary>
    internal (float[] Residual, float Loss) SquaredErrorForward(long[] indices, float[] values, float[] decoder, float[] bias, float[] target, int batch, int k, int dIn)
    {
        using var i = accelerator.Allocate1D(indices);
        using var v = accelerator.Allocate1D(values);
        using var w = accelerator.Allocate1D(decoder);
        using var b = accelerator.Allocate1D(bias);
        using var x = accelerator.Allocate1D(target);
        using var r = accelerator.Allocate1D<float>((long)batch * dIn);
        using var rows = accelerator.Allocate1D<float>(batch);
        residual((int)r.Length, i.View, v.View, w.View, b.View, x.View, r.View, k, dIn);
        rowSquares(batch, r.View, rows.View, dIn);
        double sum = 0;
        foreach (float row in rows.GetAsArray1D()) sum += row;
        return (r.GetAsArray1D(), (float)(sum / batch));
    }

    /// <summary>Gradients of the loss scaled by <paramref name="upstream"/>: ∂/∂r = 2 r / B feeds the decode backward kernels; ∂/∂bias sums it over rows.</summary>
    internal (float[] Values, float[] Decoder, float[] Bias) SquaredErrorBackward(long[] indices, float[] values, float[] decoder, float[] residualValues, float upstream, int batch, int k, int dIn)
    {
        float scale = 2f * upstream / batch;
        var gradient = new float[residualValues.Length];
        for (int e = 0; e < gradient.Length; e++) gradient[e] = scale * residualValues[e];
        var (valueGrad, decoderGrad) = Backward(indices, values, decoder, gradient, k, dIn);
        using var g = accelerator.Allocate1D(gradient);
        using var biasGrad = accelerator.Allocate1D<float>(dIn);
        columnSums(dIn, g.View, biasGrad.View, batch);
        return (valueGrad, decoderGrad, biasGrad.GetAsArray1D());
    }

    internal float[] Forward(long[] indices, float[] values, float[] decoder, int batch, int k, int dIn)
    {
        using var i = accelerator.Allocate1D(indices);
        using var v = accelerator.Allocate1D(values);
        using var w = accelerator.Allocate1D(decoder);
        using var output = accelerator.Allocate1D<float>((long)batch * dIn);
        decode((int)output.Length, i.View, v.View, w.View, output.View, k, dIn);
        return output.GetAsArray1D();
    }

    internal (float[] Values, float[] Decoder) Backward(long[] indices, float[] values, float[] decoder, float[] gradient, int k, int dIn)
    {
        using var i = accelerator.Allocate1D(indices);
        using var v = accelerator.Allocate1D(values);
        using var w = accelerator.Allocate1D(decoder);
        using var g = accelerator.Allocate1D(gradient);
        using var valueGrad = accelerator.Allocate1D<float>(values.Length);
        using var decoderGrad = accelerator.Allocate1D<float>(decoder.Length);
        decoderGrad.MemSetToZero();
        valueGradient(values.Length, i.View, w.View, g.View, valueGrad.View, k, dIn);
        decoderGradient(values.Length * dIn, i.View, v.View, g.View, decoderGrad.View, k, dIn);
        return (valueGrad.GetAsArray1D(), decoderGrad.GetAsArray1D());
    }

    /// <summary>One thread per output element (b, j): a k-term dot product over the active rows.</summary>
    private static void DecodeKernel(Index1D index, ArrayView<long> indices, ArrayView<float> values, ArrayView<float> decoder, ArrayView<float> output, int k, int dIn)
    {
        int b = index / dIn, j = index % dIn;
        float sum = 0;
        for (int t = 0; t < k; t++) sum += values[b * k + t] * decoder[indices[b * k + t] * dIn + j];
        output[index] = sum;
    }

    /// <summary>∂L/∂v[b,t] = g[b] · W_dec[i[b,t]]: one thread per active entry.</summary>
    private static void ValueGradientKernel(Index1D index, ArrayView<long> indices, ArrayView<float> decoder, ArrayView<float> gradient, ArrayView<float> result, int k, int dIn)
    {
        int b = index / k;
        long row = indices[index] * dIn;
        float sum = 0;
        for (int j = 0; j < dIn; j++) sum += gradient[b * dIn + j] * decoder[row + j];
        result[index] = sum;
    }

    /// <summary>∂L/∂W_dec[i[b,t], j] += v[b,t] g[b,j]: rows shared by several samples need atomic adds.</summary>
    private static void DecoderGradientKernel(Index1D index, ArrayView<long> indices, ArrayView<float> values, ArrayView<float> gradient, ArrayView<float> result, int k, int dIn)
    {
        int entry = index / dIn, j = index % dIn;
        int b = entry / k;
        Atomic.Add(ref result[indices[entry] * dIn + j], values[entry] * gradient[b * dIn + j]);
    }

    /// <summary>r[b, j] = Σ_t v[b,t] W_dec[i[b,t], j] + bias[j] - target[b, j]: one thread per element.</summary>
    private static void ResidualKernel(Index1D index, ArrayView<long> indices, ArrayView<float> values, ArrayView<float> decoder, ArrayView<float> bias,
        ArrayView<float> target, ArrayView<float> result, int k, int dIn)
    {
        int b = index / dIn, j = index % dIn;
        float sum = bias[j] - target[index];
        for (int t = 0; t < k; t++) sum += values[b * k + t] * decoder[indices[b * k + t] * dIn + j];
        result[index] = sum;
    }

    /// <summary>Σ_j r[b, j]²: one thread per row.</summary>
    private static void RowSquaresKernel(Index1D b, ArrayView<float> residual, ArrayView<float> result, int dIn)
    {
        float sum = 0;
        for (int j = 0; j < dIn; j++) sum += residual[b * dIn + j] * residual[b * dIn + j];
        result[b] = sum;
    }

    /// <summary>Σ_b g[b, j]: one thread per column (the bias gradient).</summary>
    private static void ColumnSumsKernel(Index1D j, ArrayView<float> gradient, ArrayView<float> result, int batch)
    {
        int dIn = (int)result.Length;
        float sum = 0;
        for (int b = 0; b < batch; b++) sum += gradient[b * dIn + j];
        result[j] = sum;
    }

    public void Dispose()
    {
        accelerator.Dispose();
        context.Dispose();
    }
}

/// <summary>The autograd glue: forward and backward call the ILGPU kernels on host copies of the tensors.</summary>
internal sealed class SparseDecodeFunction : autograd.SingleTensorFunction<SparseDecodeFunction>
{
    public override string Name => "SaeAlignSparseDecode";

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var (indices, values, decoder, kernels) = ((Tensor)vars[0], (Tensor)vars[1], (Tensor)vars[2], (IlgpuSparseDecoder)vars[3]);
        int batch = (int)values.shape[0], k = (int)values.shape[1], dIn = (int)decoder.shape[1];
        ctx.save_for_backward([indices, values, decoder]);
        ctx.save_data("kernels", kernels);
        var output = kernels.Forward(Host<long>(indices), Host<float>(values), Host<float>(decoder), batch, k, dIn);
        return tensor(output).reshape(batch, dIn);
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput)
    {
        var saved = ctx.get_saved_variables();
        var (indices, values, decoder) = (saved[0], saved[1], saved[2]);
        var kernels = (IlgpuSparseDecoder)ctx.get_data("kernels");
        var (valueGrad, decoderGrad) = kernels.Backward(Host<long>(indices), Host<float>(values), Host<float>(decoder), Host<float>(gradOutput), (int)values.shape[1], (int)decoder.shape[1]);
        // One entry per forward argument; the indices and the kernels object take no gradient.
        return [zeros_like(indices, dtype: ScalarType.Float32), tensor(valueGrad).reshape(values.shape), tensor(decoderGrad).reshape(decoder.shape), null!];
    }

    /// <summary>A host copy of a tensor, as the kernels take arrays.</summary>
    internal static T[] Host<T>(Tensor t) where T : unmanaged => t.detach().contiguous().data<T>().ToArray();
}

/// <summary>The autograd glue of the fused reconstruction term; the residuals computed in forward are reused in backward.</summary>
internal sealed class SparseSquaredErrorFunction : autograd.SingleTensorFunction<SparseSquaredErrorFunction>
{
    public override string Name => "SaeAlignSparseSquaredError";

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var (indices, values, decoder, bias, target) = ((Tensor)vars[0], (Tensor)vars[1], (Tensor)vars[2], (Tensor)vars[3], (Tensor)vars[4]);
        var kernels = (IlgpuSparseDecoder)vars[5];
        int batch = (int)values.shape[0], k = (int)values.shape[1], dIn = (int)decoder.shape[1];
        var (residual, loss) = kernels.SquaredErrorForward(SparseDecodeFunction.Host<long>(indices), SparseDecodeFunction.Host<float>(values), SparseDecodeFunction.Host<float>(decoder), SparseDecodeFunction.Host<float>(bias), SparseDecodeFunction.Host<float>(target), batch, k, dIn);
        ctx.save_for_backward([indices, values, decoder, tensor(residual)]);
        ctx.save_data("kernels", kernels);
        return tensor(loss);
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput)
    {
        var saved = ctx.get_saved_variables();
        var (indices, values, decoder, residual) = (saved[0], saved[1], saved[2], saved[3]);
        var kernels = (IlgpuSparseDecoder)ctx.get_data("kernels");
        int batch = (int)values.shape[0], k = (int)values.shape[1], dIn = (int)decoder.shape[1];
        var (valueGrad, decoderGrad, biasGrad) = kernels.SquaredErrorBackward(
            SparseDecodeFunction.Host<long>(indices), SparseDecodeFunction.Host<float>(values), SparseDecodeFunction.Host<float>(decoder), SparseDecodeFunction.Host<float>(residual), gradOutput.item<float>(), batch, k, dIn);
        // One entry per forward argument; the indices, the target and the kernels object take no gradient.
        return [null!, tensor(valueGrad).reshape(values.shape), tensor(decoderGrad).reshape(decoder.shape), tensor(biasGrad), null!, null!];
    }

}
