using System.Diagnostics;
using System.Globalization;
using SaeAlign.Alignment;
using SaeAlign.Core;
using SaeAlign.Data;
using SaeAlign.Torch;

namespace SaeAlign.Bench;

/// <summary>
/// Shows that the streamed second-moment metrics (semi, soft, one-to-one, ridge, cka with kfold:5:42) keep memory
/// flat as N grows: for each N, a pair of dense Parquet files (a = b = 64) is aligned in a fresh child process that
/// reports its peak resident memory (VmHWM) and time. Usage: align-memory [--rows 250000,500000,1000000,2048000] [--dir DIR]
/// </summary>
public static class AlignmentMemory
{
    public const string Command = "align-memory";
    private const string Child = "align-memory-child";
    private const int Units = 64;

    public static int Run(string[] args)
    {
        if (args.Length > 0 && args[0] == Child) return RunChild(args[1], args[2]);
        var rows = new[] { 250_000, 500_000, 1_000_000, 2_048_000 };
        string dir = Path.Combine(Path.GetTempPath(), $"saealign-align-memory-{Environment.ProcessId}");
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            if (args[i] == "--rows") rows = args[i + 1].Split(',').Select(r => int.Parse(r, CultureInfo.InvariantCulture)).ToArray();
            else if (args[i] == "--dir") dir = args[i + 1];
            else throw new InvalidInputException($"unknown option {args[i]}; usage: {Command} [--rows N,N,...] [--dir DIR]");
        }
        Directory.CreateDirectory(dir);
        Console.WriteLine($"streamed alignment (semi, soft, one-to-one, ridge, cka; kfold:5:42), a = b = {Units}, dense Parquet");
        Console.WriteLine("rows        input MB   peak RSS MB   seconds");
        foreach (int n in rows)
        {
            string source = Path.Combine(dir, $"source-{n}.parquet"), target = Path.Combine(dir, $"target-{n}.parquet");
            if (!File.Exists(source) || !File.Exists(target))
            {
                var (x, y) = AlignmentData.Pair(n, Units, Units);
                ActivationParquet.Write(source, x);
                ActivationParquet.Write(target, y);
            }
            // Under `dotnet SaeAlign.Bench.dll` the process is the dotnet host, which needs the assembly again.
            string[] host = Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet" ? [typeof(AlignmentMemory).Assembly.Location] : [];
            var child = Process.Start(new ProcessStartInfo(Environment.ProcessPath!, [.. host, Command, Child, source, target]) { RedirectStandardOutput = true })!;
            string report = child.StandardOutput.ReadToEnd().Trim();
            child.WaitForExit();
            double inputMb = 2.0 * n * Units * sizeof(float) / 1e6;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{n,-11} {inputMb,8:F0}   {report}"));
        }
        Directory.Delete(dir, recursive: true);
        return 0;
    }

    private static int RunChild(string source, string target)
    {
        TorchRuntime.Configure();
        var clock = Stopwatch.StartNew();
        var rows = ActivationRows.Open(source, target);
        AlignmentRunner.Run(rows, new AlignmentOptions { Metrics = ["semi", "soft", "one-to-one", "ridge", "cka"] });
        double peakMb = PeakMemory.Megabytes();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{peakMb,11:F0}   {clock.Elapsed.TotalSeconds,7:F1}"));
        return 0;
    }
}
