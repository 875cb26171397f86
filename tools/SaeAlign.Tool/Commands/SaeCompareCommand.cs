using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using SaeAlign.Core;
using SaeAlign.Data;
using SaeAlign.Pipelines;
using SaeAlign.Sae;
using SaeAlign.Torch;
using Spectre.Console;

namespace SaeAlign.Tool.Commands;

/// <summary>`saealign sae compare A B`: which latents of one SAE reappear in another (seed stability), by decoder and encoder directions and optionally by codes.</summary>
internal static class SaeCompareCommand
{
    public static Command Create(CliConsole console)
    {
        var first = new Argument<string>("A") { Description = "An SAE: a `sae train` run folder, a dictionary .parquet, or a SAELens folder." };
        var second = new Argument<string>("B") { Description = "Another SAE of the same d_in." };
        var threshold = new Option<double>("--threshold") { Description = "A matched pair with at least this cosine is a shared latent.", DefaultValueFactory = _ => new SaeComparisonOptions().Threshold };
        var seed = new Option<long>("--seed") { Description = "Seed of the random baseline dictionary.", DefaultValueFactory = _ => 0 };
        var activations = new Option<string?>("--activations") { Description = "Also match the latents by the correlation of their codes on this activation file (.parquet or .npy)." };
        var plot = new Option<string?>("--plot") { Description = "Write the histogram of matched cosines (with the random baseline) to this .png file." };
        var common = new CommonOptions();
        var command = new Command("compare", "How many latents of SAE A reappear in SAE B: one-to-one matching by cosine of decoder and encoder directions, against a random dictionary.")
        {
            first, second, threshold, seed, activations, plot,
        };
        common.AddTo(command);
        command.SetAction((parse, cancellationToken) =>
        {
            var settings = common.Read(parse);
            TorchRuntime.Configure(settings.Threads);
            string? plotPath = parse.GetValue(plot);
            if (plotPath is not null)
            {
                InvalidInputException.Require(Path.GetExtension(plotPath).Equals(".png", StringComparison.OrdinalIgnoreCase), $"--plot: '{plotPath}' must end in .png.");
                AtomicFile.RequireWritable(plotPath, InputField.Named("plot"));
            }
            var a = DictionaryFile.Read(parse.GetValue(first)!, "A");
            var b = DictionaryFile.Read(parse.GetValue(second)!, "B");
            var data = parse.GetValue(activations) is { } path ? ActivationFile.Read(path, cancellationToken) : null;
            var options = new SaeComparisonOptions { Threshold = parse.GetValue(threshold), Seed = parse.GetValue(seed), Device = settings.Device() };
            var result = SaeComparison.Compare(a, b, options, data, cancellationToken);
            if (plotPath is not null)
                ReportPlots.CosineHistogram(plotPath, $"A ({a.DSae} latents) matched in B ({b.DSae} latents)",
                    [("decoder", result.Decoder.MatchedCosines), ("encoder", result.Encoder.MatchedCosines), ("random dictionary (decoder)", result.Decoder.BaselineCosines)], options.Threshold);
            Print(console, result, settings.Json, plotPath);
            return Task.FromResult(ExitCodes.Success);
        });
        return command;
    }

    private static void Print(CliConsole console, SaeComparisonResult result, bool json, string? plotPath)
    {
        if (json)
        {
            console.Out.WriteLine(JsonSerializer.Serialize(new
            {
                dIn = result.DIn,
                latentsA = result.LatentsA,
                latentsB = result.LatentsB,
                threshold = result.Threshold,
                directions = new[] { result.Decoder, result.Encoder }.Select(d => new
                {
                    d.Directions, d.SharedFraction, d.MeanMatchedCosine, d.BaselineSharedFraction, d.BaselineMeanMatchedCosine,
                }),
                codes = result.Codes,
                plot = plotPath,
            }, SaeConfig.Json));
            return;
        }
        var table = new Table().AddColumns("matched by", $"shared (cos >= {F(result.Threshold)})", "mean matched cosine", "random baseline: shared", "random baseline: mean");
        foreach (var d in new[] { result.Decoder, result.Encoder })
            table.AddRow($"{d.Directions} directions", F(d.SharedFraction), F(d.MeanMatchedCosine), F(d.BaselineSharedFraction), F(d.BaselineMeanMatchedCosine));
        console.Results.Write(table);
        console.Out.WriteLine($"A: {result.LatentsA} latents, B: {result.LatentsB} latents, d_in {result.DIn}; shared = fraction of A's latents whose one-to-one partner in B reaches the threshold.");
        if (result.Codes is { } codes)
            console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Codes on {codes.Rows} stimuli: mean correlation of one-to-one matched latents {codes.MeanMatchedCorrelation:0.000} (latents never active or constant there: A {codes.DeadA}, B {codes.DeadB})."));
        if (plotPath is not null) console.Out.WriteLine($"Histogram: {plotPath}");
    }

    private static string F(double value) => value.ToString("0.000", CultureInfo.InvariantCulture);
}
