using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using SaeAlign.Core;
using SaeAlign.Data;
using SaeAlign.Sae;

namespace SaeAlign.Tool.Commands;

/// <summary>
/// `saealign convert IN OUT`: an activation file between .npy and Parquet (dense or sparse), or an SAE between a dictionary
/// .parquet, a SAELens folder and a sparsify folder. What the target cannot hold is refused with exit 2, nothing written.
/// </summary>
internal static class ConvertCommand
{
    public static Command Create(CliConsole console)
    {
        var input = new Argument<string>("IN") { Description = "An activation file (.npy, .parquet) or an SAE (a dictionary .parquet, a sae train run folder, a SAELens or sparsify folder)." };
        var output = new Argument<string>("OUT") { Description = "The file or folder to write." };
        var to = new Option<string?>("--to") { Description = "SAE format to write: parquet, saelens or sparsify (default: parquet for OUT.parquet, else saelens)." };
        var layout = new Option<string?>("--layout") { Description = $"Parquet layout of activations: dense or sparse (default: sparse from {ActivationFile.SparseWidth} units on)." };
        var force = new Option<bool>("--force") { Description = "Replace an existing output." };
        var json = new Option<bool>("--json") { Description = "Print one JSON document on stdout and nothing else there." };
        var command = new Command("convert", "Convert activation files between .npy and Parquet, and SAEs between dictionary Parquet, SAELens and sparsify folders.")
        {
            input, output, to, layout, force, json,
        };
        command.SetAction((parse, cancellationToken) =>
        {
            string from = parse.GetValue(input)!, into = parse.GetValue(output)!;
            DictionaryFile.RequireExists(from, InputField.Argument("IN"));
            object report = Directory.Exists(from) || DictionaryParquet.Holds(from)
                ? ConvertSae(parse, from, into, to, layout, force)
                : ConvertActivations(parse, from, into, to, layout, force, cancellationToken);
            console.Out.WriteLine(parse.GetValue(json)
                ? JsonSerializer.Serialize(report, SaeConfig.Json)
                : string.Create(CultureInfo.InvariantCulture, $"Wrote {Path.GetFullPath(into)}"));
            return Task.FromResult(ExitCodes.Success);
        });
        return command;
    }

    private static object ConvertSae(ParseResult parse, string from, string into, Option<string?> to, Option<string?> layout, Option<bool> force)
    {
        InvalidInputException.Require(parse.GetValue(layout) is null, $"--layout: {from} is an SAE; --layout applies to activation files.");
        var format = parse.GetValue(to) is { } name ? Format(name)
            : into.EndsWith(".parquet", StringComparison.OrdinalIgnoreCase) ? SaeFormat.Parquet : SaeFormat.SaeLens;
        var dictionary = DictionaryFile.Read(from, InputField.Argument("IN"));
        DictionaryFile.Write(dictionary, into, InputField.Argument("OUT"), format, parse.GetValue(force), from);
        return new { output = Path.GetFullPath(into), format = format.ToString().ToLowerInvariant(), architecture = dictionary.Architecture.Name, dIn = dictionary.DIn, dSae = dictionary.DSae };
    }

    /// <summary>--to as users spell the formats (saelens, not the enum's sae-lens).</summary>
    private static SaeFormat Format(string name) => name.Trim().ToLowerInvariant() switch
    {
        "parquet" => SaeFormat.Parquet,
        "saelens" => SaeFormat.SaeLens,
        "sparsify" => SaeFormat.Sparsify,
        _ => throw new InvalidInputException($"--to: unknown format '{name}'. Use one of: parquet, saelens, sparsify."),
    };

    private static object ConvertActivations(ParseResult parse, string from, string into, Option<string?> to, Option<string?> layout, Option<bool> force,
        CancellationToken cancellationToken)
    {
        InvalidInputException.Require(parse.GetValue(to) is null, $"--to: {from} is an activation file; --to applies to SAEs.");
        InvalidInputException.Require(parse.GetValue(force) || !File.Exists(into), $"OUT: {into} exists; pass --force to replace it.");
        var asked = parse.GetValue(layout) is { } name ? OptionValues.Enum<ActivationLayout>(name, "--layout") : (ActivationLayout?)null;
        var (rows, columns, written) = ActivationFile.Convert(from, into, InputField.Argument("OUT"), asked, cancellationToken);
        return new { output = Path.GetFullPath(into), rows, units = columns, layout = Path.GetExtension(into) == ".npy" ? "npy" : written.ToString().ToLowerInvariant() };
    }
}
