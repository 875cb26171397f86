using static TorchSharp.torch;

namespace SaeAlign.Sae;

/// <summary>Creates a freshly initialised SAE of the configured architecture.</summary>
public static class SaeModels
{
    /// <summary>
    /// paper-toy: Xavier-normal as the paper. The others: decoder rows in random directions (norm 1 when
    /// rows are kept at unit norm, 0.1 otherwise, as in Anthropic's April 2024 update), W_enc = W_decᵀ,
    /// b_enc = 0, b_dec = <paramref name="decoderBias"/>; JumpReLU thresholds start at the configured value.
    /// </summary>
    public static SparseAutoencoder Create(SaeConfig config, int dIn, Tensor decoderBias)
    {
        if (config.Architecture == SaeArchitecture.PaperToy) return PaperToySae.Initialize(config, dIn);
        using var scope = NewDisposeScope();
        int dSae = config.ResolvedDSae(dIn);
        using var generator = new Generator((ulong)config.Seed);
        var directions = randn(dSae, dIn, generator: generator);
        var wDec = directions / directions.norm(1, keepdim: true).clamp_min(1e-12) * (config.UnitNormDecoder ? 1.0 : 0.1);
        var wEnc = wDec.t().contiguous();
        var bEnc = zeros(dSae);
        return config.Architecture switch
        {
            SaeArchitecture.TopK => new TopKSae(config, dIn, wEnc, wDec, bEnc, decoderBias),
            SaeArchitecture.ReluL1 => new ReluL1Sae(config, dIn, wEnc, wDec, bEnc, decoderBias),
            SaeArchitecture.JumpRelu => new JumpReluSae(config, dIn, wEnc, wDec, bEnc, decoderBias, full(dSae, config.JumpReluInitThreshold)),
            _ => new BatchTopKSae(config, dIn, wEnc, wDec, bEnc, decoderBias, zeros(dSae)),
        };
    }
}
