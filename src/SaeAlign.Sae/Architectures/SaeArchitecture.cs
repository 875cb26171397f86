using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using SaeAlign.Core;
using SaeAlign.Data;
using static TorchSharp.torch;

namespace SaeAlign.Sae;

/// <summary>How the decoder bias b_dec starts.</summary>
public enum DecoderBiasInit
{
    Zeros,
    Mean,
    /// <summary>The geometric median of the training rows (Weiszfeld), robust to outliers.</summary>
    GeometricMedian,
}

/// <summary>The weights a model is built from: fresh ones, or a dictionary's. The threshold is null for architectures without one.</summary>
public sealed record SaeTensors(Tensor WEnc, Tensor WDec, Tensor BEnc, Tensor BDec, Tensor? Threshold)
{
    /// <summary>The same weights on <paramref name="device"/> (copies where they are elsewhere; the caller's dispose scope holds them).</summary>
    public SaeTensors To(Device device) => new(WEnc.to(device), WDec.to(device), BEnc.to(device), BDec.to(device), Threshold?.to(device));
}

/// <summary>
/// Everything SaeAlign knows about one SAE architecture: its name in configs and files, its facts, its
/// defaults, how its model is built and how it maps to SAELens. Each descriptor lives beside its model
/// (<c>TopKSae.cs</c>, ...), and this class is the one registry; code elsewhere asks the descriptor and
/// never switches over names, so an architecture is one file plus its line in <see cref="All"/>.
/// </summary>
[JsonConverter(typeof(SaeArchitectureJsonConverter))]
public abstract class SaeArchitecture
{
    public static SaeArchitecture ReluL1 { get; } = new ReluL1Architecture();
    public static SaeArchitecture TopK { get; } = new TopKArchitecture();
    public static SaeArchitecture BatchTopK { get; } = new BatchTopKArchitecture();
    public static SaeArchitecture JumpRelu { get; } = new JumpReluArchitecture();
    public static SaeArchitecture PaperToy { get; } = new PaperToyArchitecture();
    public static SaeArchitecture MatryoshkaBatchTopK { get; } = new MatryoshkaBatchTopKArchitecture();
    public static SaeArchitecture Gated { get; } = new GatedArchitecture();

    /// <summary>Every architecture, in the order the CLI lists them.</summary>
    public static IReadOnlyList<SaeArchitecture> All { get; } = [ReluL1, TopK, BatchTopK, JumpRelu, PaperToy, MatryoshkaBatchTopK, Gated];

    public static IReadOnlyList<string> Names { get; } = [.. All.Select(a => a.Name)];

    /// <summary>The architecture named <paramref name="name"/> (kebab-case, any case), or null.</summary>
    public static SaeArchitecture? Find(string name) => All.FirstOrDefault(a => a.Name == name.Trim().ToLowerInvariant());

    /// <summary>The architecture named <paramref name="name"/>; an unknown name is bad input naming <paramref name="source"/>.</summary>
    public static SaeArchitecture Get(string name, InputMessage source) =>
        Find(name) ?? throw new InvalidInputException($"{source}: {Unknown(name)}");

    internal static string Unknown(string name) => $"unknown architecture '{name}'. Use one of: {string.Join(", ", Names)}.";

    /// <summary>The kebab-case name of configs, files and the CLI (relu-l1, topk, ...).</summary>
    public abstract string Name { get; }

    /// <summary>Whether the architecture keeps k active latents per row (or per row on average): its config is an <see cref="IKSparseConfig"/>.</summary>
    public bool UsesK => typeof(IKSparseConfig).IsAssignableFrom(ConfigType);

    /// <summary>SAELens' apply_b_dec_to_input: whether the encoder centres its input on b_dec.</summary>
    public virtual bool SubtractsDecoderBias => true;

    /// <summary>Whether inference uses a per-latent threshold, which dictionaries and SAELens folders then store.</summary>
    public virtual bool HasThreshold => false;

    /// <summary>Whether inference keeps each row's k largest of ReLU(pre-activations), as sparsify SAEs do, so a sparsify folder can hold it.</summary>
    public virtual bool KeepsTopKPerRow => false;

    /// <summary>The architecture's own config type (<see cref="TopKSaeConfig"/>, ...), which its JSON fields deserialize to.</summary>
    public abstract Type ConfigType { get; }

    /// <summary>The architecture's defaults (SAELens / sparsify practice unless the descriptor says otherwise).</summary>
    public abstract SaeConfig Defaults { get; }

    /// <summary>The defaults for a dictionary of <paramref name="dSae"/> latents and, for k-sparse architectures, k = <paramref name="k"/>.</summary>
    public SaeConfig Shaped(int dSae, int k)
    {
        var shaped = Defaults with { DSae = dSae };
        return shaped is IKSparseConfig sparse ? sparse.WithK(k) : shaped;
    }

    /// <summary>The SAELens cfg.json architectures this one is read from; the first is the one it is written as.</summary>
    public abstract IReadOnlyList<string> SaeLensNames { get; }

    /// <summary>
    /// Whether a SAELens folder of <paramref name="saeLensName"/> (one of <see cref="SaeLensNames"/>) is this
    /// architecture, given the SaeAlign architecture its metadata names (null in folders from SAELens itself).
    /// </summary>
    public virtual bool ReadsSaeLens(string saeLensName, string? recorded, bool subtractsDecoderBias) => true;

    /// <summary>Adds this architecture's own cfg.json fields (k, ...) to <paramref name="config"/> and <paramref name="metadata"/>.</summary>
    public virtual void WriteSaeLens(SaeDictionary dictionary, JsonObject config, JsonObject metadata) { }

    /// <summary>The dictionary's k from a cfg.json; 0 for architectures without one.</summary>
    public virtual int ReadSaeLensK(SaeLensConfig config) => 0;

    /// <summary>The encoder's tensors in a SAELens folder, by SAELens name: W_enc [d_in, d_sae], b_enc and, with a threshold, threshold.</summary>
    public virtual IEnumerable<(string Name, SafeTensor Tensor)> WriteSaeLensEncoder(SaeDictionary dictionary)
    {
        yield return ("W_enc", new SafeTensor([dictionary.DIn, dictionary.DSae], dictionary.WEnc));
        yield return ("b_enc", new SafeTensor([dictionary.DSae], dictionary.BEnc));
        if (HasThreshold) yield return ("threshold", new SafeTensor([dictionary.DSae], dictionary.Threshold!));
    }

    /// <summary>
    /// The dictionary's encoder from a SAELens folder's tensors. A threshold is read as <c>threshold</c> or, as some
    /// SAELens versions save JumpReLU SAEs, as <c>log_threshold</c>.
    /// </summary>
    public virtual SaeLensEncoder ReadSaeLensEncoder(SaeLensTensors tensors) =>
        new(tensors.Matrix("W_enc"), tensors.Get("b_enc"),
            !HasThreshold ? null : tensors.Find("threshold") ?? Array.ConvertAll(tensors.Get("log_threshold"), v => (float)Math.Exp(v)));

    /// <summary>The model on <paramref name="tensors"/>; the model copies what it keeps. <paramref name="config"/> is of <see cref="ConfigType"/>.</summary>
    public abstract SparseAutoencoder Build(SaeConfig config, int dIn, SaeTensors tensors);

    /// <summary>
    /// A freshly initialised model on <paramref name="device"/> (default the CPU): decoder rows in random directions (norm 1
    /// when rows are kept at unit norm, 0.1 otherwise, as in Anthropic's April 2024 update), W_enc = W_decᵀ, b_enc = 0,
    /// b_dec = <paramref name="decoderBias"/>. The weights are drawn on the CPU, so a seed gives the same start on every device.
    /// </summary>
    public virtual SparseAutoencoder Create(SaeConfig config, int dIn, Tensor decoderBias, Device? device = null)
    {
        using var scope = NewDisposeScope();
        int dSae = config.ResolvedDSae(dIn);
        using var generator = new Generator((ulong)config.Seed);
        var directions = randn(dSae, dIn, generator: generator);
        var wDec = directions / directions.norm(1, keepdim: true).clamp_min(1e-12) * (config.UnitNormDecoder ? 1.0 : 0.1);
        return Build(config, dIn, new SaeTensors(wDec.t().contiguous(), wDec, zeros(dSae), decoderBias, InitialThreshold(config, dSae)).To(device ?? CPU));
    }

    /// <summary>The threshold a fresh model starts from; null for architectures without one.</summary>
    protected virtual Tensor? InitialThreshold(SaeConfig config, int dSae) => null;

    /// <summary>k in cfg.json as SAELens' topk SAEs hold it.</summary>
    protected static void WriteSaeLensK(SaeDictionary dictionary, JsonObject config)
    {
        config["k"] = dictionary.K;
        config["rescale_acts_by_decoder_norm"] = false;
    }

    public override string ToString() => Name;
}

/// <summary>An architecture with its own config record <typeparamref name="TConfig"/>, whose constructor sets its defaults.</summary>
public abstract class SaeArchitecture<TConfig> : SaeArchitecture where TConfig : SaeConfig, new()
{
    public sealed override Type ConfigType => typeof(TConfig);

    public sealed override SaeConfig Defaults => new TConfig();

    public sealed override SparseAutoencoder Build(SaeConfig config, int dIn, SaeTensors tensors) => Build(Own(config), dIn, tensors);

    /// <inheritdoc cref="SaeArchitecture.Build"/>
    protected abstract SparseAutoencoder Build(TConfig config, int dIn, SaeTensors tensors);

    protected sealed override Tensor? InitialThreshold(SaeConfig config, int dSae) => InitialThreshold(Own(config), dSae);

    /// <inheritdoc cref="SaeArchitecture.InitialThreshold"/>
    protected virtual Tensor? InitialThreshold(TConfig config, int dSae) => null;

    private TConfig Own(SaeConfig config) => config as TConfig
        ?? throw new ArgumentException($"a {Name} SAE needs a {typeof(TConfig).Name}, got a {config.GetType().Name}.", nameof(config));
}

/// <summary>An architecture as its name, so configs, specs and checkpoints stay as they were written.</summary>
internal sealed class SaeArchitectureJsonConverter : JsonConverter<SaeArchitecture>
{
    public override SaeArchitecture Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.String) throw new JsonException($"expected one of {string.Join(", ", SaeArchitecture.Names)}");
        string name = reader.GetString()!;
        return SaeArchitecture.Find(name) ?? throw new JsonException(SaeArchitecture.Unknown(name));
    }

    public override void Write(Utf8JsonWriter writer, SaeArchitecture value, JsonSerializerOptions options) => writer.WriteStringValue(value.Name);
}
