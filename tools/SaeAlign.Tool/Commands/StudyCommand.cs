using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using SaeAlign.Alignment;
using SaeAlign.Core;
using SaeAlign.Pipelines.Studies;
using SaeAlign.Torch;
using Spectre.Console;

namespace SaeAlign.Tool.Commands;

/// <summary>`saealign study NAME`: a small alignment study with its report (results.parquet, summary.json, PNG plots).</summary>
internal static class StudyCommand
{
    private static readonly (string Name, string Description)[] Studies =
    [
        (TripletStudy.Name, "odd-one-out agreement with bootstrap CI, noise ceiling and triplet RSA vs observation noise (or --embedding with --triplets)"),
        (CapacityStudy.Name, "mutual k-NN and CKA between toy models (and to their features) vs width m, and between SAEs vs latent count, SEM over seeds"),
        (SnrStudy.Name, "CKA, ridge and semi-matching between ensemble members (linear networks with their closed-form solution; ReLU MLPs on regression and classification), and test error, vs SNR and training-set size N"),
    ];

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        WriteIndented = true,
    };

    public static Command Create(CliConsole console)
    {
        var name = new Argument<string>("name") { Description = "The study: " + string.Join("; ", Studies.Select(s => $"{s.Name}: {s.Description}")) + "." };
        var output = new Option<string?>("--out") { Description = "Run folder to write (default ./saealign-study-NAME, replaced on every run)." };
        var force = new Option<bool>("--force") { Description = "Replace an existing --out folder." };
        var seed = new Option<long>("--seed") { Description = "Seed of everything the study draws.", DefaultValueFactory = _ => 0 };
        var noise = new Option<string?>("--noise") { Description = "triplets: comma-separated observation-noise levels (>= 0)." };
        var similarity = new Option<string>("--similarity") { Description = "triplets: cosine or dot.", DefaultValueFactory = _ => "cosine" };
        var resamples = new Option<int>("--resamples") { Description = "triplets: bootstrap resamples.", DefaultValueFactory = _ => TripletAgreement.DefaultResamples };
        var embedding = new Option<string?>("--embedding") { Description = "triplets: score this embedding (.parquet or .npy, one row per item) instead of synthetic ones." };
        var triplets = new Option<string?>("--triplets") { Description = "triplets: judgements for --embedding, Parquet or CSV with columns i, j, k, odd and optionally subject." };
        var widths = new Option<string?>("--widths") { Description = "capacity: comma-separated toy widths m (neurons)." };
        var saeWidths = new Option<string?>("--sae-widths") { Description = "capacity: comma-separated SAE latent counts of the SAE sweep (on the width-16 toy)." };
        var k = new Option<int>("--k") { Description = "capacity: neighbours per stimulus for mutual k-NN.", DefaultValueFactory = _ => MutualKnn.DefaultK };
        var snr = new Option<string?>("--snr") { Description = "snr: comma-separated signal-to-noise ratios (> 0) of the SNR sweep." };
        var sizes = new Option<string?>("--sizes") { Description = "snr: comma-separated training-set sizes N (>= 1) of the sample-size sweep." };
        var mlpSizes = new Option<string?>("--mlp-sizes") { Description = "snr: comma-separated training-set sizes N (>= 1) of the MLP's sample-size sweep." };
        var noMlp = new Option<bool>("--no-mlp") { Description = "snr: linear networks only (skip the ReLU MLP regression and classification tasks)." };
        var common = new CommonOptions();
        var command = new Command("study", "Run an alignment study and write its report.")
        {
            name, output, force, seed, noise, similarity, resamples, embedding, triplets, widths, saeWidths, k, snr, sizes, mlpSizes, noMlp,
        };
        common.AddTo(command);
        command.SetAction((parse, cancellationToken) =>
        {
            var settings = common.Read(parse);
            TorchRuntime.Configure(settings.Threads);
            // Resolved for every study, so a device this machine lacks is refused before any work; capacity trains on it.
            var device = settings.Device();
            string study = parse.GetValue(name)!.Trim().ToLowerInvariant();
            InvalidInputException.Require(Studies.Any(s => s.Name == study),
                $"unknown study '{study}'. Known studies: {string.Join(", ", Studies.Select(s => s.Name))}.");
            string? explicitOut = parse.GetValue(output);
            string folder = explicitOut ?? $"saealign-study-{study}";
            bool replace = explicitOut is null || parse.GetValue(force);
            long seedValue = parse.GetValue(seed);
            Func<IProgress<StudyProgress>?, CancellationToken, StudyResult> run;
            if (study == CapacityStudy.Name)
            {
                var basis = new CapacityStudyOptions();
                var options = basis with
                {
                    Widths = parse.GetValue(widths) is { } w ? Integers(w, "--widths") : basis.Widths,
                    SaeWidths = parse.GetValue(saeWidths) is { } sw ? Integers(sw, "--sae-widths") : basis.SaeWidths,
                    Seeds = Enumerable.Range(0, basis.Seeds.Count).Select(i => seedValue + i).ToArray(),
                    Toy = basis.Toy with { DataSeed = seedValue },
                    K = parse.GetValue(k),
                    Device = device,
                };
                options.Validate();
                run = (progress, ct) => CapacityStudy.Run(options, folder, replace, progress, ct);
            }
            else if (study == SnrStudy.Name)
            {
                var basis = new SnrStudyOptions();
                var options = basis with
                {
                    Seed = seedValue,
                    Snr = parse.GetValue(snr) is { } s ? Numbers(s, "--snr") : basis.Snr,
                    Sizes = parse.GetValue(sizes) is { } n ? Integers(n, "--sizes") : basis.Sizes,
                    MlpSizes = parse.GetValue(mlpSizes) is { } m ? Integers(m, "--mlp-sizes") : basis.MlpSizes,
                    Mlp = !parse.GetValue(noMlp),
                };
                options.Validate();
                run = (progress, ct) => SnrStudy.Run(options, folder, replace, progress, ct);
            }
            else
            {
                var basis = new TripletStudyOptions();
                var options = basis with
                {
                    Seed = seedValue,
                    NoiseLevels = parse.GetValue(noise) is { } n ? Numbers(n, "--noise") : basis.NoiseLevels,
                    Similarity = OptionValues.Enum<SimilarityKind>(parse.GetValue(similarity)!, "--similarity"),
                    Resamples = parse.GetValue(resamples),
                    Embedding = parse.GetValue(embedding),
                    Triplets = parse.GetValue(triplets),
                };
                options.Validate();
                run = (progress, ct) => TripletStudy.Run(options, folder, replace, progress, ct);
            }
            var result = WithProgress(console, settings.Quiet, study, run, cancellationToken);
            Print(console, result, settings.Json);
            return Task.FromResult(ExitCodes.Success);
        });
        return command;
    }

    private static StudyResult WithProgress(CliConsole console, bool quiet, string study,
        Func<IProgress<StudyProgress>?, CancellationToken, StudyResult> run, CancellationToken ct)
    {
        if (quiet) return run(null, ct);
        return console.Progress.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(context =>
            {
                var task = context.AddTask($"study {study}");
                var result = run(new ProgressCallback<StudyProgress>(p =>
                {
                    task.Description = Markup.Escape(p.Stage);
                    task.MaxValue = Math.Max(1, p.Total);
                    task.Value = p.Done;
                }), ct);
                task.Value = task.MaxValue;
                return result;
            });
    }

    /// <summary>"0,0.1,1" -> [0, 0.1, 1]; errors name the option and the value.</summary>
    private static double[] Numbers(string text, string option)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        InvalidInputException.Require(parts.Length > 0, $"{option} must list at least one value.");
        return parts.Select(p => double.TryParse(p, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v)
            ? v
            : throw new InvalidInputException($"{option}: '{p}' is not a number.")).ToArray();
    }

    /// <summary>"4,8,16" -> [4, 8, 16]; errors name the option and the value.</summary>
    private static int[] Integers(string text, string option) =>
        Numbers(text, option).Select(v => v == Math.Floor(v) && Math.Abs(v) <= int.MaxValue
            ? (int)v
            : throw new InvalidInputException($"{option}: '{v.ToString(CultureInfo.InvariantCulture)}' is not an integer.")).ToArray();

    private static void Print(CliConsole console, StudyResult result, bool json)
    {
        int rows = result.Table[0].Values.Length;
        if (json)
        {
            var records = Enumerable.Range(0, rows).Select(r => result.Table.ToDictionary(c => c.Name, c => c.Values.GetValue(r))).ToArray();
            console.Out.WriteLine(JsonSerializer.Serialize(new { study = result.Study, folder = result.Folder, files = result.Files, summary = result.Summary, rows = records }, Json));
            return;
        }
        var cells = Enumerable.Range(0, rows).Select(r => result.Table.Select(c => Format(c.Values.GetValue(r))).ToArray()).ToArray();
        var table = new Table();
        foreach (var column in result.Table) table.AddColumn(Markup.Escape(column.Name));
        foreach (var row in cells) table.AddRow(row.Select(Markup.Escape).ToArray());
        // Study tables are wide; cells cut to a redirected console's 80 columns would be unreadable, so widen the console to fit.
        int width = result.Table.Select((c, i) => cells.Select(r => r[i].Length).Append(c.Name.Length).Max() + 3).Sum() + 1;
        console.Results.Profile.Width = Math.Max(console.Results.Profile.Width, width);
        console.Results.Write(table);
        console.Out.WriteLine($"Run folder: {result.Folder}");
        foreach (var file in result.Files) console.Out.WriteLine($"  {file}");
    }

    private static string Format(object? value) => value switch
    {
        double d => d.ToString("0.###", CultureInfo.InvariantCulture),
        float f => f.ToString("0.###", CultureInfo.InvariantCulture),
        IFormattable x => x.ToString(null, CultureInfo.InvariantCulture),
        _ => value?.ToString() ?? "",
    };
}
