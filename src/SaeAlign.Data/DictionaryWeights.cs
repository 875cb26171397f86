namespace SaeAlign.Data;

/// <summary>
/// An SAE dictionary as its Parquet file holds it (README, "File formats": SAE dictionary), before the architecture
/// name is resolved: W_enc row-major [d_in, d_sae], W_dec row-major [d_sae, d_in], b_enc [d_sae], b_dec [d_in],
/// a threshold per latent (null on writing: the architecture has none; stored as 0), a density per latent (null:
/// unknown; stored as NaN), whether inference centres x on b_dec, and the caller's metadata.
/// </summary>
public sealed record DictionaryWeights(
    string Architecture,
    int DIn,
    int DSae,
    int K,
    float[] WEnc,
    float[] WDec,
    float[] BEnc,
    float[] BDec,
    float[]? Threshold,
    float[]? Density,
    bool SubtractsDecoderBias,
    IReadOnlyDictionary<string, string> Metadata);
