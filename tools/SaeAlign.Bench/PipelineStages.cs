using System.Diagnostics;
using System.Globalization;
using SaeAlign.Alignment;
using SaeAlign.Core;
using SaeAlign.Data;
using SaeAlign.Pipelines;
using SaeAlign.Sae;
using SaeAlign.Torch;
using SaeAlign.ToyModels;

namespace SaeAlign.Bench;

/// <summary>
/// Stage timings of the paper-toy pipeline for one toy width. A whole run takes minutes, too long for
/// BenchmarkDotNet's repeated invocations, so this is a plain Stopwatch harness timing each stage from the
/// pipeline's progress reports. Then each metric is timed alone
/// (AlignmentRunner with one metric) on the same held-out activations and comparisons as the pipeline's
/// alignment stage, which runs all metrics over one shared moment pass.
/// Usage: pipeline-stages [--scale F] [--neurons M] [--threads T] [--out DIR]
/// </summary>
public static class PipelineStages
{
    public const string Command = "pipeline-stages";

    public static int Run(string[] args)
    {
        double scale = 1;
        int neurons = 32, threads = 2;
        string? output = null;
        for (int i = 0; i < args.Length; i++)
        {
            string value = i + 1 < args.Length ? args[i + 1] : throw new InvalidInputException($"{args[i]} needs a value.");
            switch (args[i])
            {
                case "--scale": scale = double.Parse(value, CultureInfo.InvariantCulture); break;
                case "--neurons": neurons = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--threads": threads = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--out": output = value; break;
                default: throw new InvalidInputException($"unknown option {args[i]}; usage: {Command} [--scale F] [--neurons M] [--threads T] [--out DIR]");
            }
            i++;
        }

        TorchRuntime.Configure(threads);
        var spec = PipelineSpec.LoadPreset("paper-toy") with { Neurons = [neurons] };
        if (scale < 1) spec = spec.Scaled(scale);
        // A fresh folder: a reused one would skip the finished stages.
        string root = output ?? Path.Combine(Path.GetTempPath(), $"saealign-pipeline-stages-{Environment.ProcessId}");
        InvalidInputException.Require(!Directory.Exists(root) || !Directory.EnumerateFileSystemEntries(root).Any(), $"--out {root} must be empty or absent.");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"paper-toy m = {neurons}, scale {scale}: {spec.Toy.Steps} toy steps x batch {spec.Toy.Batch}, {spec.Stimuli} stimuli, torch threads {threads}, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, load {LoadAverage()}"));

        // A stage closes where the next one opens: at the next stage's first report when that is a start
        // marker (fraction 0), else at this stage's own "done" report (fraction 1), since the next stage was
        // already working before its first report (the alignment stage reports after its first comparison).
        Console.WriteLine();
        Console.WriteLine("stage                      seconds");
        var clock = Stopwatch.StartNew();
        string? current = null;
        TimeSpan opened = TimeSpan.Zero, done = TimeSpan.Zero;
        void Close(TimeSpan at)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{current,-26} {(at - opened).TotalSeconds,8:F1}   load {LoadAverage()}"));
            opened = at;
        }
        var collecting = TimeSpan.Zero;
        var progress = new ProgressCallback<PipelineProgress>(p =>
        {
            var now = clock.Elapsed;
            if (p.Stage != current)
            {
                if (current is not null)
                {
                    Close(p.Fraction == 0 || done <= opened ? now : done);
                    // The pipeline leaves gigabytes of garbage (managed copies, undisposed tensors) that the GC,
                    // blind to native memory, does not collect in time: without this the full-scale run is
                    // killed for memory. The pause is kept out of the stage times and reported.
                    var pause = Stopwatch.StartNew();
                    GC.Collect();
                    GC.WaitForPendingFinalizers();
                    GC.Collect();
                    collecting += pause.Elapsed;
                    opened += pause.Elapsed;
                }
                current = p.Stage;
            }
            if (p.Fraction >= 1) done = now;
        });
        new DisentanglementPipeline(spec, "pipeline-stages").Run(root, progress);
        Close(clock.Elapsed);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{"(harness GC, excluded)",-26} {collecting.TotalSeconds,8:F1}   load {LoadAverage()}"));
        var total = clock.Elapsed;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{"pipeline total",-26} {(total - collecting).TotalSeconds,8:F1}   load {LoadAverage()}"));

        TimeMetrics(spec, neurons, root);
        return 0;
    }

    private static void TimeMetrics(PipelineSpec spec, int m, string root)
    {
        var toyConfig = spec.Toy with { Neurons = m };
        int stimuli = (int)spec.Stimuli, trainRows = (int)(spec.Stimuli * spec.TrainFraction);
        string folder = Path.Combine(root, $"m{m}");
        var models = ToyExperiment.Load(Path.Combine(folder, "toy")).Models;
        var saeConfig = spec.Sae with { TrainFraction = spec.TrainFraction };
        var hidden = ToyEvaluation.HiddenFromStream(toyConfig, models, toyConfig.TrainingStreamSeed, trainRows, stimuli - trainRows);
        var latents = models.Select((model, k) =>
            SaeMetrics.Encode(SaeDictionary.ReadParquet(Path.Combine(folder, $"sae-seed{model.Seed}", SaeTrainingRun.DictionaryFile)), hidden[k])).ToArray();
        var control = models.Select((model, k) => SaeMetrics.Encode(ControlSae.Untrained(saeConfig, m, model.Seed), hidden[k])).ToArray();

        // The pipeline's comparisons: both directions of the model pair, five representations each.
        var runs = new List<(ActivationSet Source, ActivationSet Target)>();
        foreach (var (i, j) in new[] { (0, 1), (1, 0) })
            runs.AddRange([(hidden[i], hidden[j]), (latents[i], hidden[j]), (hidden[i], latents[j]), (latents[i], latents[j]), (control[i], control[j])]);

        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"metric alone, {runs.Count} comparisons on {hidden[0].Rows} held-out rows, cv {spec.Cv}"));
        foreach (var metric in spec.Metrics)
        {
            var options = new AlignmentOptions { Metrics = [metric], Cv = CrossValidation.Parse(spec.Cv) };
            var clock = Stopwatch.StartNew();
            double scoreSum = 0;
            foreach (var (source, target) in runs)
                scoreSum += AlignmentRunner.Run(new InMemoryPairedRows(source, target, compareStimuli: false), options).Metrics[0].Score;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{metric,-26} {clock.Elapsed.TotalSeconds,8:F1}   mean score {scoreSum / runs.Count:F4}   load {LoadAverage()}"));
        }
    }

    /// <summary>The machine's load average, this process's resident and peak memory, and the managed heap's share.</summary>
    private static string LoadAverage()
    {
        string load = File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
        using var process = Process.GetCurrentProcess();
        return string.Create(CultureInfo.InvariantCulture,
            $"{load}   rss {process.WorkingSet64 / 1e9:F1} GB, peak {process.PeakWorkingSet64 / 1e9:F1} GB, managed heap {GC.GetGCMemoryInfo().HeapSizeBytes / 1e9:F1} GB");
    }
}
