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

    private IlgpuSparseDecoder(Context context, Accelerator accelerator)
    {
        this.context = context;
        this.accelerator = accelerator;
        decode = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<long>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>(DecodeKernel);
        valueGradient = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<long>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>(ValueGradientKernel);
        decoderGradient = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<long>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>(DecoderGradientKernel);
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

    private static T[] Host<T>(Tensor t) where T : unmanaged => t.detach().contiguous().data<T>().ToArray();
}
