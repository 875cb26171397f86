using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using SaeAlign.Core;
using SaeAlign.Sae;
using SaeAlign.Torch;

namespace SaeAlign.Tool.Commands;

/// <summary>`saealign sae encode`: codes of an activation file under a dictionary, written as Parquet (sparse idx/val per row) or .npy (dense) by --out's extension.</summary>
internal static class SaeEncodeCommand
{
    public static Command Create(CliConsole console)
    {
        var sae = new Option<string>("--sae") { Description = "A `sae train` run folder, a dictionary .parquet, a SAELens folder (cfg.json + sae_weights.safetensors) or a sparsify folder (cfg.json + sae.safetensors).", Required = true };
        var activations = new Option<string>("--activations") { Description = "Activation file (.parquet or .npy) with d_in columns.", Required = true };
        var output = new Option<string>("--out") { Description = "File for the codes: .parquet (sparse layout: idx/val lists per row) or .npy (dense float32).", Required = true };
        var common = new CommonOptions();
        var command = new Command("encode", "Encode activations with a trained SAE; the codes are written as sparse Parquet or dense .npy, by --out's extension.") { sae, activations, output };
        common.AddTo(command);
        command.SetAction((parse, cancellationToken) =>
        {
            var settings = common.Read(parse);
            TorchRuntime.Configure(settings.Threads);
            var dictionary = DictionaryFile.Read(parse.GetValue(sae)!, InputField.Named("sae"));
            string inputPath = parse.GetValue(activations)!, outputPath = parse.GetValue(output)!;
            var codes = SaeCodesFile.Write(dictionary, inputPath, outputPath, InputField.Named("out"), cancellationToken, settings.Device());
            double l0 = SaeCodesFile.MeanL0(codes);
            if (settings.Json)
                console.Out.WriteLine(JsonSerializer.Serialize(new { output = Path.GetFullPath(outputPath), rows = codes.Rows, latents = codes.Columns, l0 }, SaeConfig.Json));
            else
                console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Encoded {codes.Rows} rows into {codes.Columns} latents (mean L0 {l0:0.00}): {Path.GetFullPath(outputPath)}"));
            return Task.FromResult(ExitCodes.Success);
        });
        return command;
    }
}
