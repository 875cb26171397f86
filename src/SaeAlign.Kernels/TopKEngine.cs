using ILGPU;
using ILGPU.Runtime;

namespace SaeAlign.Kernels;

/// <summary>The loss a TopK step minimises: the two k-sparse architectures the engine trains.</summary>
public enum TopKObjective
{
    /// <summary>
    /// SaeAlign's topk (SAELens): the input centred on b_dec, each row's squared error summed over d_in and averaged over rows,
    /// plus AuxK: the AuxK largest pre-activations of latents dead for the window reconstruct the detached residual.
    /// </summary>
    AuxK,

    /// <summary>
    /// The paper's ToySAE (paper-toy): no centring, the squared error averaged over every entry, plus α times the mean squared
    /// difference between the batch-dead latents' reconstruction (all their raw pre-activations, with b_dec) and the residual
    /// x - x̂, which is not detached. The dead term is dense in the dead latents, as the paper's: rows · dead · d_in per step.
    /// </summary>
    PaperToy,
}

/// <summary>The settings of a TopK SAE that a training step uses (the trainer keeps the rest).</summary>
/// <param name="AuxK">Dead latents per row that reconstruct the residual in AuxK (<see cref="TopKObjective.AuxK"/> only).</param>
/// <param name="MaxBatch">The largest batch a step gets; buffers are sized for it.</param>
public sealed record TopKEngineSettings(int DIn, int DSae, int K, int AuxK, double AuxCoefficient, int DeadWindow, double WeightDecay, bool UnitNormDecoder, int MaxBatch,
    TopKObjective Objective = TopKObjective.AuxK)
{
    /// <summary>Throws <see cref="ArgumentException"/> for shapes the kernels cannot take (the trainer validates the config first).</summary>
    public void Validate()
    {
        if (DIn < 1 || DSae < 1 || MaxBatch < 1) throw new ArgumentException("d_in, d_sae and the batch must be positive.");
        if (K < 1 || K > Math.Min(DSae, RowTopK.MaxK)) throw new ArgumentException($"k must be in 1..{Math.Min(DSae, RowTopK.MaxK)} for the ilgpu engine, got {K}.");
        if (Objective == TopKObjective.AuxK && (AuxK < 1 || AuxK > RowTopK.MaxK)) throw new ArgumentException($"AuxK's k must be in 1..{RowTopK.MaxK} for the ilgpu engine, got {AuxK}.");
        // Kernels index a batch's pre-activations, a batch's inputs and a weight matrix by int launch extents.
        if ((long)MaxBatch * DSae > int.MaxValue || (long)MaxBatch * DIn > int.MaxValue || (long)DIn * DSae > int.MaxValue)
            throw new ArgumentException($"batch x d_sae, batch x d_in and d_in x d_sae must each be at most {int.MaxValue} for the ilgpu engine, got {MaxBatch}, {DIn} and {DSae}.");
    }

    /// <summary>Entries per row the dead-latent term may hold: AuxK's k, or every latent for paper-toy's batch-dead term.</summary>
    internal int AuxEntries => Objective == TopKObjective.AuxK ? AuxK : DSae;

    /// <summary>
    /// The bytes the engine allocates on its device: each parameter with its gradient and AdamW's two moments, and the
    /// batch buffers (inputs and residuals, pre-activations, the selection and the dead-latent term's entries). A GPU
    /// reserves the kernels' local memory on top (<see cref="LocalBytesPerThread"/> for every thread it can hold).
    /// </summary>
    public long DeviceBytes
    {
        get
        {
            long weights = 2L * DIn * DSae + DSae + DIn;
            long batch = 6L * MaxBatch * DIn + (long)MaxBatch * DSae + 3L * MaxBatch * K + 3L * MaxBatch * AuxEntries + 2L * MaxBatch;
            long counters = 3L * DSae + 2;
            return 4 * (4 * weights + batch + counters);
        }
    }

    /// <summary>The most local memory a thread of the engine's kernels holds: the top-k lists of the selection and of AuxK.</summary>
    public int LocalBytesPerThread => Math.Max(RowTopK.LocalBytes(K), Objective == TopKObjective.AuxK ? RowTopK.LocalBytes(AuxK) : 0);
}

/// <summary>One named tensor of the engine's state, as checkpoints name them (model.W_enc, adam.m.W_enc, steps_since_fired).</summary>
public sealed record EngineTensor(string Name, long[] Shape, float[] Values);

/// <summary>What the last step measured: its squared reconstruction error summed over rows, L0 and the dead fraction after it.</summary>
public sealed record TopKStepMeasures(double ErrorSum, double L0, double DeadFraction);

/// <summary>
/// A TopK SAE trained entirely on one ILGPU accelerator: weights, AdamW moments and dead-latent counters stay on the device and
/// each batch is copied in once. A step is the torch engine's step of the architecture <see cref="TopKEngineSettings.Objective"/>
/// names (TopKSae with the sparse decoder and SparseAutoencoder.AuxKLoss, or PaperToySae; AdamW, the decoder's unit-norm projection):
/// the encoder product (<see cref="Gemm"/>), per-row top-k, the sparse decode fused with the residual (x̂ is never stored), the squared error and the dead-latent
/// term, a backward that touches only the selected (and dead) latents, and the update. Gradients of rows shared
/// by several samples add atomically, so on a GPU, as with CUDA libtorch, the result agrees with the CPU's within float rounding.
/// </summary>
public sealed class TopKEngine : IDisposable
{
    private readonly TopKEngineSettings settings;
    private readonly Accelerator accelerator;
    private readonly Gemm gemm;
    private readonly RowTopK topK;
    private readonly SparseDecode decode;
    private readonly SparseEncoder encoder;
    private readonly AdamW adam;
    private readonly DeadLatents deadLatents;
    private readonly Parameter[] parameters;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> x, centred, pre, codes, auxCodes, residual, auxResidual, residualGradient, codeGradient, auxGradient, inputGradient, rowLoss, auxRowLoss;
    private readonly MemoryBuffer1D<int, Stride1D.Dense> indices, auxIndices, sinceFired, fired, deadCount, batchDead, batchDeadCount;
    private int lastRows, dead;
    private double lastErrorSum;

    public TopKEngine(IlgpuAccelerator device, TopKEngineSettings settings, float[] wEnc, float[] wDec, float[] bEnc, float[] bDec)
    {
        settings.Validate();
        this.settings = settings;
        accelerator = device.Accelerator;
        gemm = new Gemm(accelerator);
        topK = new RowTopK(accelerator);
        decode = new SparseDecode(accelerator);
        encoder = new SparseEncoder(accelerator);
        adam = new AdamW(accelerator);
        deadLatents = new DeadLatents(accelerator);
        int dIn = settings.DIn, dSae = settings.DSae, batch = settings.MaxBatch;
        parameters =
        [
            new Parameter(accelerator, "W_enc", [dIn, dSae], wEnc),
            new Parameter(accelerator, "W_dec", [dSae, dIn], wDec),
            new Parameter(accelerator, "b_enc", [dSae], bEnc),
            new Parameter(accelerator, "b_dec", [dIn], bDec),
        ];
        x = Floats((long)batch * dIn);
        centred = Floats((long)batch * dIn);
        pre = Floats((long)batch * dSae);
        codes = Floats((long)batch * settings.K);
        codeGradient = Floats((long)batch * settings.K);
        auxCodes = Floats((long)batch * settings.AuxEntries);
        auxGradient = Floats((long)batch * settings.AuxEntries);
        residual = Floats((long)batch * dIn);
        auxResidual = Floats((long)batch * dIn);
        residualGradient = Floats((long)batch * dIn);
        inputGradient = Floats((long)batch * dIn);
        rowLoss = Floats(batch);
        auxRowLoss = Floats(batch);
        indices = Ints((long)batch * settings.K);
        auxIndices = Ints((long)batch * settings.AuxEntries);
        sinceFired = Ints(dSae);
        fired = Ints(dSae);
        deadCount = Ints(1);
        batchDead = Ints(dSae);
        batchDeadCount = Ints(1);
    }

    /// <summary>The encoder's input: x - b_dec for topk, x itself for paper-toy (which does not centre).</summary>
    private MemoryBuffer1D<float, Stride1D.Dense> EncoderInput => settings.Objective == TopKObjective.PaperToy ? x : centred;

    private Parameter WEnc => parameters[0];
    private Parameter WDec => parameters[1];
    private Parameter BEnc => parameters[2];
    private Parameter BDec => parameters[3];

    /// <summary>
    /// One training step on <paramref name="rows"/> rows of <paramref name="batch"/> (row-major [rows, d_in], already scaled)
    /// at 1-based step <paramref name="t"/> with learning rate <paramref name="lr"/>; returns the loss (MSE + AuxK) before the update.
    /// </summary>
    public float Step(ReadOnlySpan<float> batch, int rows, int t, double lr)
    {
        if (rows < 1 || rows > settings.MaxBatch || batch.Length < rows * settings.DIn) throw new ArgumentException($"a step takes 1..{settings.MaxBatch} rows of d_in values.");
        int dIn = settings.DIn, dSae = settings.DSae, k = settings.K;
        bool paperToy = settings.Objective == TopKObjective.PaperToy;
        ((ArrayView<float>)x.View).SubView(0, (long)rows * dIn).CopyFromCPU(batch[..(rows * dIn)]);
        if (!paperToy) encoder.Centre(rows, x.View, BDec.Values.View, centred.View, dIn, 1f);
        gemm.Run(EncoderInput.View, WEnc.Values.View, BEnc.Values.View, pre.View, rows, dIn, dSae);
        topK.Run(rows, pre.View, sinceFired.View, indices.View, codes.View, dSae, k, 0);
        deadLatents.MarkFired(rows * k, indices.View, codes.View, fired.View);
        // r = x̂ - x.
        decode.Residual(rows, indices.View, codes.View, WDec.Values.View, BDec.Values.View, 1f, x.View, -1f, residual.View, k, dIn);
        decode.RowSquares(rows, residual.View, rowLoss.View, dIn);
        foreach (var parameter in parameters) parameter.Gradient.MemSetToZero();
        var loss = paperToy ? PaperToyBackward(rows) : AuxKBackward(rows);

        if (settings.UnitNormDecoder) adam.RemoveParallel(WDec.Gradient.View, WDec.Values.View, dSae, dIn);
        foreach (var parameter in parameters) adam.Update(parameter.Values.View, parameter.Gradient.View, parameter.First.View, parameter.Second.View, t, lr, settings.WeightDecay);
        if (settings.UnitNormDecoder) adam.NormalizeRows(WDec.Values.View, dSae, dIn);

        deadCount.MemSetToZero();
        deadLatents.Advance(fired.View, sinceFired.View, deadCount.View, settings.DeadWindow);
        accelerator.Synchronize();

        dead = deadCount.GetAsArray1D()[0];
        lastRows = rows;
        lastErrorSum = Sum(rowLoss, rows);
        return (float)loss(lastErrorSum);
    }

    /// <summary>
    /// topk's gradients, as SparseAutoencoder.AuxKLoss: the dead latents' largest pre-activations reconstruct the detached
    /// residual x - x̂. Returns the loss as a function of the summed squared error, once the step has synchronised.
    /// </summary>
    private Func<double, double> AuxKBackward(int rows)
    {
        int dIn = settings.DIn, dSae = settings.DSae, k = settings.K;
        int auxK = dead > 0 && settings.AuxCoefficient != 0 ? Math.Min(settings.AuxK, dead) : 0;
        double auxWeight = auxK == 0 ? 0 : settings.AuxCoefficient * Math.Min(dead / (double)settings.AuxK, 1.0);
        if (auxK > 0)
        {
            topK.Run(rows, pre.View, sinceFired.View, auxIndices.View, auxCodes.View, dSae, auxK, settings.DeadWindow);
            // e = estimate - (x - x̂) = estimate + r.
            decode.Residual(rows, auxIndices.View, auxCodes.View, WDec.Values.View, BDec.Values.View, 0f, residual.View, 1f, auxResidual.View, auxK, dIn);
            decode.RowSquares(rows, auxResidual.View, auxRowLoss.View, dIn);
        }

        float scale = 2f / rows;
        decode.CodeGradient(rows * k, indices.View, codes.View, WDec.Values.View, residual.View, codeGradient.View, scale, k, dIn, positiveOnly: true);
        decode.DecoderGradient(rows * k, indices.View, codes.View, residual.View, WDec.Gradient.View, scale, k, dIn);
        encoder.EncoderGradient(rows * k, indices.View, codeGradient.View, centred.View, WEnc.Gradient.View, BEnc.Gradient.View, k, dIn, dSae);
        if (auxK > 0)
        {
            float auxScale = (float)(2 * auxWeight / rows);
            decode.CodeGradient(rows * auxK, auxIndices.View, auxCodes.View, WDec.Values.View, auxResidual.View, auxGradient.View, auxScale, auxK, dIn, positiveOnly: true);
            decode.DecoderGradient(rows * auxK, auxIndices.View, auxCodes.View, auxResidual.View, WDec.Gradient.View, auxScale, auxK, dIn);
            encoder.EncoderGradient(rows * auxK, auxIndices.View, auxGradient.View, centred.View, WEnc.Gradient.View, BEnc.Gradient.View, auxK, dIn, dSae);
        }
        encoder.InputGradient(rows, indices.View, codeGradient.View, auxIndices.View, auxGradient.View, WEnc.Values.View, inputGradient.View, k, auxK, dIn, dSae);
        encoder.DecoderBiasGradient(rows, residual.View, inputGradient.View, BDec.Gradient.View, scale, 1f, dIn);
        return errorSum => errorSum / rows + (auxK > 0 ? Sum(auxRowLoss, rows) / rows * auxWeight : 0);
    }

    /// <summary>
    /// paper-toy's gradients, as PaperToySae: with n = rows · d_in, r = x̂ - x and q = (dead · pre) W_dec + b_dec + r, the loss
    /// is (|r|² + α|q|²) / n; x̂ receives 2(r + αq)/n (the residual is not detached), the dead latents' reconstruction 2αq/n,
    /// and b_dec both. The dead latents are those with no positive code in this batch (there may be none: q is then b_dec + r).
    /// </summary>
    private Func<double, double> PaperToyBackward(int rows)
    {
        int dIn = settings.DIn, dSae = settings.DSae, k = settings.K;
        float alpha = (float)settings.AuxCoefficient;
        deadLatents.ListUnfired(fired.View, batchDead.View, batchDeadCount.View);
        int deadInBatch = batchDeadCount.GetAsArray1D()[0];
        if (deadInBatch > 0) deadLatents.Gather(rows, batchDead.View, deadInBatch, pre.View, auxIndices.View, auxCodes.View, dSae);
        decode.Residual(rows, auxIndices.View, auxCodes.View, WDec.Values.View, BDec.Values.View, 1f, residual.View, 1f, auxResidual.View, deadInBatch, dIn);
        decode.RowSquares(rows, auxResidual.View, auxRowLoss.View, dIn);
        decode.AddScaled(rows * dIn, residual.View, auxResidual.View, alpha, residualGradient.View);

        float n = (float)rows * dIn, scale = 2f / n, auxScale = 2f * alpha / n;
        decode.CodeGradient(rows * k, indices.View, codes.View, WDec.Values.View, residualGradient.View, codeGradient.View, scale, k, dIn, positiveOnly: true);
        decode.DecoderGradient(rows * k, indices.View, codes.View, residualGradient.View, WDec.Gradient.View, scale, k, dIn);
        encoder.EncoderGradient(rows * k, indices.View, codeGradient.View, x.View, WEnc.Gradient.View, BEnc.Gradient.View, k, dIn, dSae);
        if (deadInBatch > 0)
        {
            // The dead term's codes are raw pre-activations, negative ones included: no ReLU gates their gradient.
            decode.CodeGradient(rows * deadInBatch, auxIndices.View, auxCodes.View, WDec.Values.View, auxResidual.View, auxGradient.View, auxScale, deadInBatch, dIn, positiveOnly: false);
            decode.DecoderGradient(rows * deadInBatch, auxIndices.View, auxCodes.View, auxResidual.View, WDec.Gradient.View, auxScale, deadInBatch, dIn);
            encoder.EncoderGradient(rows * deadInBatch, auxIndices.View, auxGradient.View, x.View, WEnc.Gradient.View, BEnc.Gradient.View, deadInBatch, dIn, dSae);
        }
        // ∂b_dec = Σ_b (scale · (r + αq) + auxScale · q): DecoderBiasGradient's second term with sign -auxScale.
        encoder.DecoderBiasGradient(rows, residualGradient.View, auxResidual.View, BDec.Gradient.View, scale, -auxScale, dIn);
        return errorSum => (errorSum + alpha * Sum(auxRowLoss, rows)) / n;
    }

    /// <summary>The last step's squared error, L0 (positive codes per row) and the fraction of latents dead after it.</summary>
    public TopKStepMeasures LastStep()
    {
        var selected = Read(codes, (long)lastRows * settings.K);
        return new TopKStepMeasures(lastErrorSum, selected.Count(c => c > 0) / (double)lastRows, dead / (double)settings.DSae);
    }

    /// <summary>
    /// Times the decode (fused with the residual) + squared error (<see cref="SparseDecode.Residual"/> and <see cref="SparseDecode.RowSquares"/>) on the
    /// last step's batch and selection, <paramref name="repeats"/> times: milliseconds per run and the bytes one run must move
    /// (the batch, the selected decoder rows, the codes, the residual written and read back), for its effective bandwidth.
    /// </summary>
    public (double Milliseconds, double Bytes) TimeFusedLoss(int repeats)
    {
        int rows = lastRows, dIn = settings.DIn, k = settings.K;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (int r = 0; r < repeats; r++)
        {
            decode.Residual(rows, indices.View, codes.View, WDec.Values.View, BDec.Values.View, 1f, x.View, -1f, residual.View, k, dIn);
            decode.RowSquares(rows, residual.View, rowLoss.View, dIn);
        }
        accelerator.Synchronize();
        double bytes = 4.0 * rows * dIn * 3 + 8.0 * rows * k + 4.0 * rows * k * dIn;
        return (clock.Elapsed.TotalMilliseconds / repeats, bytes);
    }

    /// <summary>
    /// Times the encoder product (<see cref="Gemm"/>) on the last step's batch, <paramref name="repeats"/> times: milliseconds
    /// per run and its floating-point operations (2·rows·d_in·d_sae), for its rate.
    /// </summary>
    public (double Milliseconds, double Operations) TimeEncoder(int repeats)
    {
        int rows = lastRows;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (int r = 0; r < repeats; r++) gemm.Run(EncoderInput.View, WEnc.Values.View, BEnc.Values.View, pre.View, rows, settings.DIn, settings.DSae);
        accelerator.Synchronize();
        return (clock.Elapsed.TotalMilliseconds / repeats, 2.0 * rows * settings.DIn * settings.DSae);
    }

    /// <summary>The parameters, AdamW's moments and the steps since each latent fired, by their checkpoint names.</summary>
    public IReadOnlyList<EngineTensor> State()
    {
        accelerator.Synchronize();
        return Slots().Select(slot => new EngineTensor(slot.Name, slot.Shape,
            slot.Buffer?.GetAsArray1D() ?? Array.ConvertAll(sinceFired.GetAsArray1D(), s => (float)s))).ToArray();
    }

    /// <summary>The names and shapes of <see cref="State"/>'s tensors, without copying anything from the device.</summary>
    public IReadOnlyList<(string Name, long[] Shape)> StateShapes() => Slots().Select(slot => (slot.Name, slot.Shape)).ToArray();

    public const string SinceFiredName = "steps_since_fired";

    /// <summary>Restores a tensor of <see cref="State"/> by name (a checkpoint's); the dead count follows the counters.</summary>
    public void Load(string name, float[] values)
    {
        var slot = Slots().FirstOrDefault(s => s.Name == name);
        if (slot.Name is null) throw new ArgumentException($"the engine has no tensor '{name}'.", nameof(name));
        if (slot.Buffer is { } buffer)
        {
            buffer.CopyFromCPU(values);
            return;
        }
        var counters = Array.ConvertAll(values, v => (int)v);
        sinceFired.CopyFromCPU(counters);
        dead = counters.Count(c => c >= settings.DeadWindow);
    }

    /// <summary>The state's tensors by checkpoint name; the float buffer, or none for the integer dead-latent counters.</summary>
    private IEnumerable<(string Name, long[] Shape, MemoryBuffer1D<float, Stride1D.Dense>? Buffer)> Slots()
    {
        foreach (var p in parameters) yield return ($"model.{p.Name}", p.Shape, p.Values);
        foreach (var p in parameters) yield return ($"adam.m.{p.Name}", p.Shape, p.First);
        foreach (var p in parameters) yield return ($"adam.v.{p.Name}", p.Shape, p.Second);
        yield return (SinceFiredName, [settings.DSae], null);
    }

    /// <summary>A parameter's current values (W_enc, W_dec, b_enc, b_dec).</summary>
    public float[] Values(string name) => parameters.Single(p => p.Name == name).Values.GetAsArray1D();

    private static double Sum(MemoryBuffer1D<float, Stride1D.Dense> buffer, int count)
    {
        double sum = 0;
        foreach (float v in Read(buffer, count)) sum += v;
        return sum;
    }

    private static T[] Read<T>(MemoryBuffer1D<T, Stride1D.Dense> buffer, long count) where T : unmanaged
    {
        var result = new T[count];
        ((ArrayView<T>)buffer.View).SubView(0, count).CopyToCPU(new Span<T>(result));
        return result;
    }

    private MemoryBuffer1D<float, Stride1D.Dense> Floats(long length) => accelerator.Allocate1D<float>(length);

    private MemoryBuffer1D<int, Stride1D.Dense> Ints(long length)
    {
        var buffer = accelerator.Allocate1D<int>(length);
        buffer.MemSetToZero();
        return buffer;
    }

    public void Dispose()
    {
        foreach (var p in parameters) p.Dispose();
        foreach (var buffer in new MemoryBuffer[] { x, centred, pre, codes, auxCodes, residual, auxResidual, residualGradient, codeGradient, auxGradient, inputGradient, rowLoss, auxRowLoss,
                     indices, auxIndices, sinceFired, fired, deadCount, batchDead, batchDeadCount })
            buffer.Dispose();
    }

    /// <summary>A trained tensor on the device with its gradient and AdamW's two moments.</summary>
    private sealed class Parameter : IDisposable
    {
        public Parameter(Accelerator accelerator, string name, long[] shape, float[] initial)
        {
            Name = name;
            Shape = shape;
            long length = shape.Aggregate(1L, (a, b) => a * b);
            if (initial.LongLength != length) throw new ArgumentException($"{name} needs {length} values, got {initial.LongLength}.");
            Values = accelerator.Allocate1D(initial);
            Gradient = accelerator.Allocate1D<float>(length);
            First = accelerator.Allocate1D<float>(length);
            Second = accelerator.Allocate1D<float>(length);
            First.MemSetToZero();
            Second.MemSetToZero();
        }

        public string Name { get; }
        public long[] Shape { get; }
        public MemoryBuffer1D<float, Stride1D.Dense> Values { get; }
        public MemoryBuffer1D<float, Stride1D.Dense> Gradient { get; }
        public MemoryBuffer1D<float, Stride1D.Dense> First { get; }
        public MemoryBuffer1D<float, Stride1D.Dense> Second { get; }

        public void Dispose()
        {
            foreach (var buffer in new[] { Values, Gradient, First, Second }) buffer.Dispose();
        }
    }
}
