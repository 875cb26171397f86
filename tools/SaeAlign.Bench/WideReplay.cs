using System.Diagnostics;
using System.Globalization;
using SaeAlign.Alignment;
using SaeAlign.Core;
using SaeAlign.Data;
using SaeAlign.Pipelines;
using SaeAlign.Sae;
using SaeAlign.Torch;
using static TorchSharp.torch;

namespace SaeAlign.Bench;

/// <summary>
/// The replay at the width of real SAEs (issue 13): N stimuli whose sparse features (k of L active) two models hold in
/// different superpositions (random unit directions in d dimensions), and for each model a TopK SAE whose dictionary is
/// its model's feature directions. Writes the activations (.npy) and the SAEs (dictionary Parquet), then times in fresh
/// child processes (peak resident memory from VmHWM): the whole replay (five comparisons, the untrained control
/// included); with --gemm, one dense float64 GEMM of the two code matrices, the cost the dense route starts with; with
/// --sae-to-sae, each metric of the sae->sae comparison alone on the encoded codes (encoding excluded, as the numpy
/// peer reports it; --sae-to-sae-only skips the replay). The files stay in --dir for the numpy peers
/// (python/wide_semi_peer.py, python/wide_ridge_peer.py).
/// Usage: wide-replay [--rows 20000] [--units 512] [--latents 8192] [--k 32] [--metrics semi,soft,one-to-one]
///        [--cv kfold:5:42] [--gemm] [--sae-to-sae | --sae-to-sae-only] [--dir DIR]
/// </summary>
public static class WideReplay
{
    public const string Command = "wide-replay";
    private const string ReplayChild = "wide-replay-child";
    private const string GemmChild = "wide-gemm-child";
    private const string SaeChild = "wide-sae-child";

    public static int Run(string[] args)
    {
        if (args.Length > 0 && args[0] == ReplayChild) return Replay(args[1], args[2], args[3]);
        if (args.Length > 0 && args[0] == GemmChild) return Gemm(args[1]);
        if (args.Length > 0 && args[0] == SaeChild) return SaeToSae(args[1], args[2], args[3]);
        int rows = 20_000, units = 512, latents = 8192, k = 32;
        string metrics = "semi,soft,one-to-one", cv = "kfold:5:42", dir = Path.Combine(Path.GetTempPath(), "saealign-wide-replay");
        bool gemm = false, saeToSae = false, replay = true;
        for (int i = 0; i < args.Length; i++)
        {
            string value() => args[++i];
            switch (args[i])
            {
                case "--rows": rows = int.Parse(value(), CultureInfo.InvariantCulture); break;
                case "--units": units = int.Parse(value(), CultureInfo.InvariantCulture); break;
                case "--latents": latents = int.Parse(value(), CultureInfo.InvariantCulture); break;
                case "--k": k = int.Parse(value(), CultureInfo.InvariantCulture); break;
                case "--metrics": metrics = value(); break;
                case "--cv": cv = value(); break;
                case "--dir": dir = value(); break;
                case "--gemm": gemm = true; break;
                case "--sae-to-sae": saeToSae = true; break;
                case "--sae-to-sae-only": (saeToSae, replay) = (true, false); break;
                default: throw new InvalidInputException($"unknown option {args[i]}; see the harness's summary for usage.");
            }
        }
        Directory.CreateDirectory(dir);
        var clock = Stopwatch.StartNew();
        Generate(dir, rows, units, latents, k);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"wide replay: N = {rows:N0}, d = {units}, {latents:N0} latents, k = {k}; data made in {clock.Elapsed.TotalSeconds:F1} s in {dir}"));
        if (replay) Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"replay ({metrics}; {cv}, five comparisons): {Child(ReplayChild, dir, metrics, cv)}"));
        if (gemm) Console.WriteLine($"one dense float64 GEMM of the two code matrices (N x L each): {Child(GemmChild, dir)}");
        if (saeToSae) Console.WriteLine($"sae->sae alone, encoding excluded ({cv}): {Child(SaeChild, dir, metrics, cv)}");
        return 0;
    }

    /// <summary>Model activations and each model's SAE, seeded: the features are shared, their directions are not.</summary>
    private static void Generate(string dir, int rows, int units, int latents, int k)
    {
        var random = new Random(13);
        var feature = new int[rows * k];
        var strength = new float[rows * k];
        for (int r = 0; r < rows; r++)
        {
            var chosen = new HashSet<int>();
            // A power law over latents, as real features fire (a few often, most rarely).
            while (chosen.Count < k) chosen.Add((int)Math.Min(latents - 1, latents * Math.Pow(random.NextDouble(), 2)));
            int e = 0;
            foreach (int f in chosen)
            {
                feature[r * k + e] = f;
                strength[r * k + e++] = 0.5f + (float)random.NextDouble();
            }
        }
        for (int model = 0; model < 2; model++)
        {
            var directions = new float[latents * units];
            for (int f = 0; f < latents; f++)
            {
                double norm = 0;
                for (int u = 0; u < units; u++) norm += Math.Pow(directions[f * units + u] = (float)Gaussian(random), 2);
                for (int u = 0; u < units; u++) directions[f * units + u] /= (float)Math.Sqrt(norm);
            }
            var acts = new float[(long)rows * units];
            for (int r = 0; r < rows; r++)
                for (int e = 0; e < k; e++)
                    for (int u = 0; u < units; u++) acts[(long)r * units + u] += strength[r * k + e] * directions[feature[r * k + e] * units + u];
            Npy.Write(Path.Combine(dir, $"acts{model}.npy"), acts, rows, units);
            var encoder = new float[units * latents];
            for (int f = 0; f < latents; f++)
                for (int u = 0; u < units; u++) encoder[u * latents + f] = directions[f * units + u];
            // The encoder again as .npy for the numpy peer, which has no Parquet reader.
            Npy.Write(Path.Combine(dir, $"sae{model}_W_enc.npy"), encoder, units, latents);
            new SaeDictionary(SaeArchitecture.TopK, units, latents, k, encoder, directions, new float[latents], new float[units], null, null,
                new Dictionary<string, string>()).WriteParquet(Path.Combine(dir, $"sae{model}.parquet"));
        }
    }

    private static double Gaussian(Random random) => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    private static string Child(params string[] args)
    {
        string[] host = Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet" ? [typeof(WideReplay).Assembly.Location] : [];
        var child = Process.Start(new ProcessStartInfo(Environment.ProcessPath!, [.. host, Command, .. args]) { RedirectStandardOutput = true })!;
        string report = child.StandardOutput.ReadToEnd().Trim();
        child.WaitForExit();
        return child.ExitCode == 0 ? report : $"failed (exit {child.ExitCode}): {report}";
    }

    private static int Replay(string dir, string metrics, string cv)
    {
        TorchRuntime.Configure();
        var clock = Stopwatch.StartNew();
        var inputs = new ReplayInputs(Path.Combine(dir, "acts0.npy"), Path.Combine(dir, "acts1.npy"), Path.Combine(dir, "sae0.parquet"), Path.Combine(dir, "sae1.parquet"));
        var options = new AlignmentOptions { Metrics = AlignmentMetric.Parse(metrics), Cv = CrossValidation.Parse(cv) };
        var result = AlignmentReplay.Run(inputs, options);
        var scores = result.Summaries.Select(s => string.Create(CultureInfo.InvariantCulture, $"{s.Comparison} {s.Metric} {s.Mean:F4}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{clock.Elapsed.TotalSeconds:F1} s, peak RSS {PeakMemory.Megabytes():F0} MB; {string.Join("; ", scores)}"));
        return 0;
    }

    private static int SaeToSae(string dir, string metrics, string cv)
    {
        TorchRuntime.Configure();
        var (x, y) = Codes(dir);
        var times = new List<string>();
        foreach (var metric in AlignmentMetric.Parse(metrics))
        {
            var clock = Stopwatch.StartNew();
            var options = new AlignmentOptions { Metrics = [metric], Cv = CrossValidation.Parse(cv) };
            double score = SparseAlignmentRunner.Run(x, y, options).Metrics[0].Score;
            times.Add(string.Create(CultureInfo.InvariantCulture, $"{metric} {clock.Elapsed.TotalSeconds:F1} s (score {score:F4})"));
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{string.Join(", ", times)}; peak RSS {PeakMemory.Megabytes():F0} MB"));
        return 0;
    }

    private static (SparseCodes X, SparseCodes Y) Codes(string dir) =>
        (SaeMetrics.EncodeSparse(SaeDictionary.ReadParquet(Path.Combine(dir, "sae0.parquet")), Npy.Read(Path.Combine(dir, "acts0.npy"))),
         SaeMetrics.EncodeSparse(SaeDictionary.ReadParquet(Path.Combine(dir, "sae1.parquet")), Npy.Read(Path.Combine(dir, "acts1.npy"))));

    private static int Gemm(string dir)
    {
        TorchRuntime.Configure();
        var (codesX, codesY) = Codes(dir);
        var x = codesX.ToDense();
        var y = codesY.ToDense();
        using var tx = tensor(x.Values, [x.Rows, x.Columns]).to(ScalarType.Float64);
        using var ty = tensor(y.Values, [y.Rows, y.Columns]).to(ScalarType.Float64);
        var clock = Stopwatch.StartNew();
        using var product = tx.t().mm(ty);
        double seconds = clock.Elapsed.TotalSeconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{seconds:F1} s (GEMM alone), peak RSS {PeakMemory.Megabytes():F0} MB"));
        return 0;
    }
}
