using SaeAlign.Core;
using SaeAlign.Data;

namespace SaeAlign.Sae;

/// <summary><c>saealign sae encode</c> end to end: an activation file's codes under a dictionary, written sparse (idx/val lists per row).</summary>
public static class SaeCodesFile
{
    /// <summary>Reads <paramref name="activationsPath"/> (d_in columns), encodes it and writes the codes to <paramref name="outputPath"/>.</summary>
    public static ActivationSet Write(SaeDictionary dictionary, string activationsPath, string outputPath, CancellationToken cancellationToken = default)
    {
        var data = ActivationFile.Read(activationsPath, cancellationToken);
        InvalidInputException.Require(data.Columns == dictionary.DIn,
            $"{activationsPath}: {data.Columns} columns, but the SAE's d_in is {dictionary.DIn}.");
        var codes = SaeMetrics.Encode(dictionary, data, cancellationToken);
        ActivationParquet.Write(outputPath, codes, ActivationLayout.Sparse, new Dictionary<string, string>
        {
            ["saealign.content"] = "sae codes",
            ["saealign.architecture"] = dictionary.Architecture.Name(),
        });
        return codes;
    }

    /// <summary>Active latents per row, on average.</summary>
    public static double MeanL0(ActivationSet codes) => codes.Values.Count(v => v != 0) / (double)Math.Max(1, codes.Rows);
}
