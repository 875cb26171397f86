using System.Globalization;
using System.Text.Json;
using ParquetSharp;
using SaeAlign.Core;

namespace SaeAlign.Data;

/// <summary>
/// A dictionary as Parquet (README, "File formats": SAE dictionary): one row per latent (<c>latent</c> int32, <c>w_dec</c> and
/// <c>w_enc</c> list&lt;float&gt; of length d_in, <c>b_enc</c>, <c>threshold</c>, <c>density</c> float32) plus
/// key-value metadata (d_in, d_sae, architecture, k, b_dec as a JSON array, normalisation). Row i's
/// <c>w_enc</c> is column i of W_enc. Architectures without a threshold store 0; an unknown density is NaN.
/// The architecture stays a name here: Sae resolves it and checks the weights against it.
/// </summary>
public static class DictionaryParquet
{
    private const string Prefix = "saealign.";
    public const string ArchitectureKey = Prefix + "architecture";
    /// <summary>The caller's keys a dictionary keeps on reading, though they carry the format's prefix: how it was trained.</summary>
    public const string InputScaleKey = Prefix + "input_scale", ConfigKey = Prefix + "config";

    public static void Write(string path, DictionaryWeights dictionary)
    {
        int dIn = dictionary.DIn, dSae = dictionary.DSae;
        var wDec = new float[dSae][];
        var wEnc = new float[dSae][];
        for (int i = 0; i < dSae; i++)
        {
            wDec[i] = dictionary.WDec.AsSpan(i * dIn, dIn).ToArray();
            wEnc[i] = new float[dIn];
            for (int j = 0; j < dIn; j++) wEnc[i][j] = dictionary.WEnc[j * dSae + i];
        }
        var metadata = new Dictionary<string, string>(dictionary.Metadata)
        {
            [ParquetIo.SchemaVersionKey] = ParquetIo.SchemaVersion,
            [Prefix + "content"] = "sae-dictionary",
            [Prefix + "d_in"] = dIn.ToString(CultureInfo.InvariantCulture),
            [Prefix + "d_sae"] = dSae.ToString(CultureInfo.InvariantCulture),
            [ArchitectureKey] = dictionary.Architecture,
            [Prefix + "k"] = dictionary.K.ToString(CultureInfo.InvariantCulture),
            [Prefix + "b_dec"] = JsonSerializer.Serialize(dictionary.BDec),
            [Prefix + "apply_b_dec_to_input"] = dictionary.SubtractsDecoderBias ? "true" : "false",
            [Prefix + "normalisation"] = "none",
        };
        Column[] columns =
        [
            new Column<int>("latent"), new Column<float[]>("w_dec"), new Column<float[]>("w_enc"),
            new Column<float>("b_enc"), new Column<float>("threshold"), new Column<float>("density"),
        ];
        ParquetIo.WriteFile(path, columns, metadata, writer =>
        {
            using var group = writer.AppendRowGroup();
            ParquetIo.WriteColumn<int>(group, Enumerable.Range(0, dSae).ToArray());
            ParquetIo.WriteColumn<float[]>(group, wDec);
            ParquetIo.WriteColumn<float[]>(group, wEnc);
            ParquetIo.WriteColumn<float>(group, dictionary.BEnc);
            ParquetIo.WriteColumn<float>(group, dictionary.Threshold ?? new float[dSae]);
            ParquetIo.WriteColumn<float>(group, dictionary.Density ?? Enumerable.Repeat(float.NaN, dSae).ToArray());
        });
    }

    /// <summary>Whether <paramref name="path"/> is a Parquet file holding an SAE dictionary (not an activation set), read from its metadata.</summary>
    public static bool Holds(string path) =>
        File.Exists(path) && Path.GetExtension(path).Equals(".parquet", StringComparison.OrdinalIgnoreCase)
        && ParquetIo.Read(path, ParquetIo.Metadata).GetValueOrDefault(Prefix + "content") == "sae-dictionary";

    /// <summary>Reads the weights and metadata as stored: the threshold column whatever the architecture, the density null when all NaN.</summary>
    public static DictionaryWeights Read(string path)
    {
        InputFile.RequireReadable(path);
        try
        {
            using var file = new ParquetFileReader(path);
            var metadata = file.FileMetaData.KeyValueMetadata ?? new Dictionary<string, string>();
            string Meta(string key) => metadata.TryGetValue(Prefix + key, out var v) ? v
                : throw new InvalidInputException($"{path}: not an SAE dictionary (no metadata '{Prefix + key}').");
            int Int(string key) => int.TryParse(Meta(key), NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) ? v
                : throw new InvalidInputException($"{path}: metadata '{Prefix + key}' is '{Meta(key)}', expected an integer.");
            string architecture = Meta("architecture");
            int dIn = Int("d_in"), dSae = Int("d_sae"), k = Int("k");
            float[] bDec;
            try
            {
                bDec = JsonSerializer.Deserialize<float[]>(Meta("b_dec")) ?? [];
            }
            catch (JsonException e)
            {
                throw new InvalidInputException($"{path}: metadata '{Prefix}b_dec' is not a JSON array of numbers ({e.Message}).", e);
            }
            InvalidInputException.Require(file.FileMetaData.NumRows == dSae, $"{path}: {file.FileMetaData.NumRows} rows for d_sae = {dSae} latents.");
            var wDec = new float[(long)dSae * dIn];
            var wEnc = new float[(long)dIn * dSae];
            var bEnc = new float[dSae];
            var threshold = new float[dSae];
            var density = new float[dSae];
            int offset = 0;
            for (int g = 0; g < file.FileMetaData.NumRowGroups; g++)
            {
                using var group = file.RowGroup(g);
                int rows = checked((int)group.MetaData.NumRows);
                var latent = ParquetIo.ReadAll<int>(group, 0, rows);
                var decRows = ParquetIo.ReadAll<float[]>(group, 1, rows);
                var encRows = ParquetIo.ReadAll<float[]>(group, 2, rows);
                ParquetIo.ReadAll<float>(group, 3, rows).CopyTo(bEnc, offset);
                ParquetIo.ReadAll<float>(group, 4, rows).CopyTo(threshold, offset);
                ParquetIo.ReadAll<float>(group, 5, rows).CopyTo(density, offset);
                for (int r = 0; r < rows; r++)
                {
                    int i = offset + r;
                    InvalidInputException.Require(latent[r] == i, $"{path}: row {i} holds latent {latent[r]}; rows must be latents 0..{dSae - 1} in order.");
                    InvalidInputException.Require(decRows[r].Length == dIn && encRows[r].Length == dIn,
                        $"{path}: latent {i}: w_dec has {decRows[r].Length} and w_enc {encRows[r].Length} values, expected d_in = {dIn}.");
                    decRows[r].CopyTo(wDec, (long)i * dIn);
                    for (int j = 0; j < dIn; j++) wEnc[(long)j * dSae + i] = encRows[r][j];
                }
                offset += rows;
            }
            var own = metadata.Where(kv => !kv.Key.StartsWith(Prefix, StringComparison.Ordinal) || kv.Key is InputScaleKey or ConfigKey)
                .ToDictionary(kv => kv.Key, kv => kv.Value);
            return new DictionaryWeights(architecture, dIn, dSae, k, wEnc, wDec, bEnc, bDec, threshold,
                density.All(float.IsNaN) ? null : density, metadata.GetValueOrDefault(Prefix + "apply_b_dec_to_input") == "true", own);
        }
        catch (ParquetException e)
        {
            throw new InvalidInputException($"{path}: not a readable Parquet dictionary ({e.Message}).", e);
        }
        catch (InvalidCastException e)
        {
            throw new InvalidInputException($"{path}: a dictionary column has the wrong type ({e.Message}).", e);
        }
    }
}
