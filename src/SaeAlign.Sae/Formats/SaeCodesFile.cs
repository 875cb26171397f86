using SaeAlign.Core;
using SaeAlign.Data;

namespace SaeAlign.Sae;

/// <summary>
/// <c>saealign sae encode</c> end to end: an activation file's codes under a dictionary, written in the format the output's
/// extension names (<see cref="ActivationFile.Write"/>): Parquet sparse (idx/val lists per row), or .npy dense float32.
/// </summary>
public static class SaeCodesFile
{
    /// <summary>
    /// Reads <paramref name="activationsPath"/> (d_in columns), encodes it and writes the codes to <paramref name="outputPath"/>;
    /// an output path that cannot take codes is refused, naming <paramref name="outputField"/>, before anything is read.
    /// </summary>
    public static SparseCodes Write(SaeDictionary dictionary, string activationsPath, string outputPath, InputField outputField,
        CancellationToken cancellationToken = default, TorchSharp.torch.Device? device = null)
    {
        ActivationFile.RequireOutputPath(outputPath, outputField);
        var data = ActivationFile.Read(activationsPath, cancellationToken);
        InvalidInputException.Require(data.Columns == dictionary.DIn,
            $"{activationsPath}: {data.Columns} columns, but the SAE's d_in is {dictionary.DIn}.");
        var codes = SaeMetrics.EncodeSparse(dictionary, data, cancellationToken, device);
        ActivationFile.Write(outputPath, outputField, codes, new Dictionary<string, string>
        {
            ["saealign.content"] = "sae codes",
            ["saealign.architecture"] = dictionary.Architecture.Name,
        });
        return codes;
    }

    /// <summary>Active latents per row, on average.</summary>
    public static double MeanL0(SparseCodes codes) => codes.Entries / (double)Math.Max(1, codes.Rows);
}
