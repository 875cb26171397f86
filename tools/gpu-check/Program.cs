using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;
using SaeAlign.Kernels;

// saealign-gpu-check: the ilgpu engine on a bare GPU machine (README "GPU", tools/gpu-check/README.md).
//   check   the engine on CUDA against ILGPU's CPU accelerator on a small case
//   bench   the TopK step at the paper's size and the loss kernels's effective bandwidth (--cpu: on the CPU accelerator, small)
// Every result is also one JSON line on stdout, prefixed "result: ", for run.sh to collect.
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
string command = args.Length > 0 ? args[0] : "check";
var options = Options.Parse(args.Skip(1).ToArray());
return command switch
{
    "check" => Check.Run(),
    "bench" => Bench.Run(options),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: saealign-gpu-check check | bench [--cpu] [--d-in N] [--d-sae N] [--k N] [--batch N] [--steps N]");
    return 2;
}

/// <summary>bench's sizes: the issue's TopK step (d_in 2,048, d_sae 65,536, k 32, batch 4,096) unless given.</summary>
internal sealed record Options(bool Cpu, int DIn, int DSae, int K, int Batch, int Steps)
{
    public static Options Parse(string[] args)
    {
        var o = new Options(false, 2048, 65_536, 32, 4096, 20);
        for (int i = 0; i < args.Length; i++)
        {
            int Next() => int.Parse(args[++i], CultureInfo.InvariantCulture);
            o = args[i] switch
            {
                "--cpu" => o with { Cpu = true },
                "--d-in" => o with { DIn = Next() },
                "--d-sae" => o with { DSae = Next() },
                "--k" => o with { K = Next() },
                "--batch" => o with { Batch = Next() },
                "--steps" => o with { Steps = Next() },
                _ => throw new ArgumentException($"unknown option {args[i]}"),
            };
        }
        return o;
    }
}

/// <summary>Random initial weights and data, as the torch engine's are shaped (W_dec rows of unit norm, W_enc = W_decᵀ).</summary>
internal static class Samples
{
    public static (float[] WEnc, float[] WDec, float[] BEnc, float[] BDec) Weights(int dIn, int dSae, int seed)
    {
        var random = new Random(seed);
        var wDec = new float[(long)dSae * dIn];
        for (int i = 0; i < dSae; i++)
        {
            double norm = 0;
            for (int j = 0; j < dIn; j++) norm += Math.Pow(wDec[(long)i * dIn + j] = (float)Gaussian(random), 2);
            for (int j = 0; j < dIn; j++) wDec[(long)i * dIn + j] /= (float)Math.Sqrt(norm);
        }
        var wEnc = new float[wDec.LongLength];
        for (int i = 0; i < dSae; i++)
            for (int j = 0; j < dIn; j++) wEnc[(long)j * dSae + i] = wDec[(long)i * dIn + j];
        return (wEnc, wDec, new float[dSae], new float[dIn]);
    }

    public static float[] Batch(int rows, int dIn, int seed)
    {
        var random = new Random(seed);
        var values = new float[(long)rows * dIn];
        for (long i = 0; i < values.LongLength; i++) values[i] = (float)Gaussian(random);
        return values;
    }

    private static double Gaussian(Random random) => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}

internal static class Report
{
    public static void Result(object value) => Console.WriteLine("result: " + JsonSerializer.Serialize(value));
}

/// <summary>The same 10 steps on the GPU and on the CPU accelerator, for each objective: the weights must agree within float rounding.</summary>
internal static class Check
{
    public static int Run()
    {
        using var gpu = IlgpuAccelerator.OnCuda();
        if (gpu is null)
        {
            Console.WriteLine("check: the NVIDIA driver reports no GPU; nothing to check against the CPU accelerator.");
            Report.Result(new { check = "skipped", reason = "no CUDA device" });
            return 3;
        }
        using var cpu = IlgpuAccelerator.OnCpu();
        bool ok = true;
        foreach (var objective in Enum.GetValues<TopKObjective>())
        {
            // 256 rows of k 8 among 512 latents: AuxK's dead latents after the window of 2, and many batch-dead ones for paper-toy.
            var settings = new TopKEngineSettings(64, 512, 8, 32, 1.0 / 32, 2, 0, objective == TopKObjective.AuxK, 256, objective);
            var (onGpu, gpuLosses) = Train(gpu, settings);
            var (onCpu, cpuLosses) = Train(cpu, settings);
            double weights = onGpu.Zip(onCpu, (a, b) => Math.Abs(a - b)).Max();
            double losses = gpuLosses.Zip(cpuLosses, (a, b) => Math.Abs(a - b) / Math.Max(1e-6, Math.Abs(b))).Max();
            bool agrees = weights < 1e-3 && losses < 1e-3;
            ok &= agrees;
            Console.WriteLine($"check {objective} on {gpu.Name}: max |ΔW_dec| {weights:0.0e0}, max relative Δloss {losses:0.0e0} after 10 steps: {(agrees ? "ok" : "MISMATCH")}");
            Report.Result(new { check = agrees ? "ok" : "mismatch", objective = objective.ToString(), device = gpu.Name, maxWeightDifference = weights, maxRelativeLossDifference = losses });
        }
        return ok ? 0 : 1;
    }

    private static (float[] WDec, float[] Losses) Train(IlgpuAccelerator accelerator, TopKEngineSettings settings)
    {
        var (wEnc, wDec, bEnc, bDec) = Samples.Weights(settings.DIn, settings.DSae, 1);
        using var engine = new TopKEngine(accelerator, settings, wEnc, wDec, bEnc, bDec);
        var losses = new float[10];
        for (int step = 0; step < losses.Length; step++)
            losses[step] = engine.Step(Samples.Batch(settings.MaxBatch, settings.DIn, 100 + step), settings.MaxBatch, step + 1, 1e-3);
        return (engine.Values("W_dec"), losses);
    }
}

/// <summary>Times the engine's step, its encoder GEMM and the decode + squared-error kernels.</summary>
internal static class Bench
{
    public static int Run(Options options)
    {
        // ILGPU's CPU accelerator emulates group barriers with OS threads (the GEMM's cost there): a small case shows the artifact works.
        if (options.Cpu) options = options with { DIn = Math.Min(options.DIn, 16), DSae = Math.Min(options.DSae, 64), K = Math.Min(options.K, 4), Batch = Math.Min(options.Batch, 32), Steps = Math.Min(options.Steps, 2) };
        using var accelerator = options.Cpu ? IlgpuAccelerator.OnCpu() : IlgpuAccelerator.OnCuda()
            ?? throw new InvalidOperationException("the NVIDIA driver reports no GPU (bench --cpu runs on the CPU accelerator).");
        var settings = new TopKEngineSettings(options.DIn, options.DSae, options.K, options.DIn / 2, 1.0 / 32, 50, 0, true, options.Batch);
        var (wEnc, wDec, bEnc, bDec) = Samples.Weights(options.DIn, options.DSae, 1);
        using var engine = new TopKEngine(accelerator, settings, wEnc, wDec, bEnc, bDec);
        var batch = Samples.Batch(options.Batch, options.DIn, 2);
        for (int warm = 0; warm < 2; warm++) engine.Step(batch, options.Batch, warm + 1, 1e-4);
        var clock = Stopwatch.StartNew();
        for (int step = 0; step < options.Steps; step++) engine.Step(batch, options.Batch, step + 3, 1e-4);
        double stepMs = clock.Elapsed.TotalMilliseconds / options.Steps;

        var (gemmMs, operations) = engine.TimeEncoder(3);
        double gemmTflops = operations / (gemmMs / 1e3) / 1e12;
        var (lossMs, bytes) = engine.TimeFusedLoss(5);
        double bandwidth = bytes / (lossMs / 1e3);
        double? peak = accelerator.Accelerator is CudaAccelerator cuda ? 2.0 * cuda.MemoryClockRate * 1e3 * cuda.MemoryBusWidth / 8 : null;
        Console.WriteLine($"bench on {accelerator.Name}: d_in {options.DIn}, d_sae {options.DSae}, k {options.K}, batch {options.Batch}: " +
            $"{stepMs:0.00} ms per TopK step, of which the encoder GEMM {gemmMs:0.00} ms ({gemmTflops:0.00} TFLOP/s); decode + squared error {lossMs:0.000} ms, {bandwidth / 1e9:0} GB/s" +
            (peak is { } p ? $" of {p / 1e9:0} GB/s peak ({bandwidth / p:P0})" : ""));
        Report.Result(new { bench = "ilgpu", device = accelerator.Name, options.DIn, options.DSae, options.K, options.Batch, stepMs, gemmMs, gemmTflops, lossMs, bandwidthGBs = bandwidth / 1e9, peakGBs = peak / 1e9 });
        return 0;
    }
}
