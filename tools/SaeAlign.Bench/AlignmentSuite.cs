using System.Diagnostics;
using System.Globalization;
using SaeAlign.Alignment;
using SaeAlign.Core;
using SaeAlign.Data;
using SaeAlign.Torch;
using TorchSharp;

namespace SaeAlign.Bench;

/// <summary>
/// Each metric alone (--cv none) on the same two .npy files that python/alignment_peers.py reads, timed once
/// (the paper-size runs take seconds to minutes) and printed in the same format, scores included so the two
/// sides can be checked against each other. Times are compute only: the files are read before the clock starts.
/// Usage: align-suite SOURCE.npy TARGET.npy [--metrics semi,soft,...]; writes the data with
/// `--make ROWS UNITS SOURCE.npy TARGET.npy` (the same ReLU read-outs as AlignmentBenchmark).
/// </summary>
public static class AlignmentSuite
{
    public const string Command = "align-suite";
    private static readonly string[] Metrics = ["semi", "one-to-one", "soft", "ridge", "cka", "procrustes", "rsa", "mknn"];

    public static int Run(string[] args)
    {
        TorchRuntime.Configure();
        if (args is ["--make", var count, var units, var sourcePath, var targetPath])
        {
            var (x, y) = AlignmentData.Pair(int.Parse(count, CultureInfo.InvariantCulture), int.Parse(units, CultureInfo.InvariantCulture), int.Parse(units, CultureInfo.InvariantCulture));
            Npy.Write(sourcePath, x);
            Npy.Write(targetPath, y);
            return 0;
        }
        if (args.Length is not (2 or 4) || (args.Length == 4 && args[2] != "--metrics"))
            throw new InvalidInputException($"usage: {Command} SOURCE.npy TARGET.npy [--metrics LIST] | {Command} --make ROWS UNITS SOURCE.npy TARGET.npy");
        var metrics = args.Length == 4 ? args[3].Split(',') : Metrics;
        var source = Npy.Read(args[0]);
        var target = Npy.Read(args[1]);
        var rows = new InMemoryPairedRows(source, target, compareStimuli: false);
        Console.WriteLine($"{source.Rows} rows, {source.Columns} x {target.Columns} units, torch threads {torch.get_num_threads()}");

        Timed("gemm", () =>
        {
            using var scope = torch.NewDisposeScope();
            var x = torch.tensor(source.Values, [source.Rows, source.Columns]).to_type(torch.ScalarType.Float64);
            var y = torch.tensor(target.Values, [target.Rows, target.Columns]).to_type(torch.ScalarType.Float64);
            var clock = Stopwatch.StartNew();
            double value = torch.mm(x.t(), y)[0, 0].item<double>();
            return (clock.Elapsed.TotalSeconds, value);
        });
        foreach (string metric in metrics)
            Timed(metric, () =>
            {
                var clock = Stopwatch.StartNew();
                var report = AlignmentRunner.Run(rows, new AlignmentOptions { Metrics = [metric], Cv = CrossValidation.None });
                return (clock.Elapsed.TotalSeconds, report.Metrics.Single().Score);
            });
        return 0;
    }

    private static void Timed(string name, Func<(double Seconds, double Score)> run)
    {
        var (seconds, score) = run();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name,-12} {seconds,9:F3} s   score {score:F6}"));
        ProcessMemory.Release();
    }
}
