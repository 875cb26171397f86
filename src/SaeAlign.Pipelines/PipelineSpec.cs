using System.Text.Json;
using System.Text.Json.Nodes;
using SaeAlign.Alignment;
using SaeAlign.Core;
using SaeAlign.Sae;
using SaeAlign.ToyModels;
using static SaeAlign.Core.InputField;

namespace SaeAlign.Pipelines;

/// <summary>
/// A disentanglement experiment: toy models (one per seed, per width) on one shared data stream, an SAE
/// per model trained on the first part of its activations, and alignment before/after on the rest.
/// Unknown JSON fields are rejected so that a typo never silently falls back to a default.
/// </summary>
public sealed record PipelineSpec
{
    public string Description { get; init; } = "";
    /// <summary>The toy model; its <see cref="ToyModelConfig.Neurons"/> is replaced by each of <see cref="Neurons"/>.</summary>
    public ToyModelConfig Toy { get; init; } = new();
    public IReadOnlyList<int> Neurons { get; init; } = [32];
    public IReadOnlyList<long> Seeds { get; init; } = [0, 1];
    /// <summary>Stimuli whose activations are extracted: the training stream's first <c>Stimuli</c> rows (steps x batch in the paper).</summary>
    public long Stimuli { get; init; } = 10_240_000;
    /// <summary>Fraction of <see cref="Stimuli"/> the SAEs train on; alignment is measured on the rest.</summary>
    public double TrainFraction { get; init; } = 0.8;
    /// <summary>The SAE, in the same terms as `saealign sae train`; its train fraction is <see cref="TrainFraction"/>.</summary>
    public SaeConfig Sae { get; init; } = new PaperToySaeConfig();
    public IReadOnlyList<string> Metrics { get; init; } = ["semi", "soft", "ridge"];
    public string Cv { get; init; } = "kfold:5:42";
    /// <summary>Permutation-null replicates per score (README, "Calibration"); 0: none.</summary>
    public int NullPermutations { get; init; } = Calibration.DefaultPermutations;
    /// <summary>Bootstrap replicates per score (percentile intervals); 0: none.</summary>
    public int Bootstrap { get; init; }

    /// <summary>The alignment options of this spec's alignment stage, validated (errors name <paramref name="source"/>'s fields).</summary>
    public AlignmentOptions AlignmentOptions(string source = "spec")
    {
        var options = new AlignmentOptions
        {
            Metrics = AlignmentMetric.Parse(string.Join(',', Metrics), $"{source}: metrics"),
            Cv = CrossValidation.Parse(Cv, $"{source}: cv"),
            NullPermutations = NullPermutations,
            Bootstrap = Bootstrap,
        };
        options.Validate();
        return options;
    }

    /// <summary>Throws <see cref="InvalidInputException"/> naming the first out-of-range field.</summary>
    public void Validate(string source)
    {
        Toy.Validate();
        InvalidInputException.Require(Neurons.Count > 0 && Neurons.All(m => m >= 1), $"{source}: neurons must list widths of at least 1.");
        InvalidInputException.Require(Seeds.Count >= 2 && Seeds.Distinct().Count() == Seeds.Count && Seeds.All(s => s >= 0),
            $"{source}: seeds must list at least two distinct non-negative seeds (alignment compares models).");
        InvalidInputException.Require(TrainFraction > 0 && TrainFraction < 1, $"{source}: trainFraction must be in (0, 1), got {TrainFraction}.");
        InvalidInputException.Require(Stimuli >= 10 && Stimuli <= int.MaxValue, $"{source}: stimuli must be between 10 and {int.MaxValue}, got {Stimuli}.");
        AlignmentOptions(source);
        foreach (var m in Neurons) Sae.Validate(m);
    }

    /// <summary>The same experiment at a fraction of the cost: toy steps and stimuli scaled by <paramref name="scale"/>.</summary>
    public PipelineSpec Scaled(double scale)
    {
        InvalidInputException.Require(scale > 0 && scale <= 1 && double.IsFinite(scale), $"{Named("scale")} must be in (0, 1], got {scale}.");
        return this with
        {
            Toy = Toy with { Steps = Math.Max(1, (int)Math.Round(Toy.Steps * scale)) },
            Stimuli = Math.Max(10, (long)Math.Round(Stimuli * scale)),
        };
    }

    public static PipelineSpec Parse(string json, string source)
    {
        PipelineSpec? spec;
        try
        {
            spec = JsonNode.Parse(json, documentOptions: JsonInputError.DocumentOptions).Deserialize<PipelineSpec>(SaeConfig.Json);
        }
        catch (JsonException e)
        {
            throw new InvalidInputException($"{source}: {JsonInputError.Describe(e)}", e);
        }
        if (spec is null) throw new InvalidInputException($"{source}: the spec is empty.");
        spec.Validate(source);
        return spec;
    }

    private const string PresetPrefix = "SaeAlign.ToyModels.Experiments.";

    /// <summary>Experiment presets shipped in toymodels/SaeAlign.ToyModels/Experiments/.</summary>
    public static IReadOnlyList<string> PresetNames { get; } = typeof(ToyPreset).Assembly.GetManifestResourceNames()
        .Where(n => n.StartsWith(PresetPrefix, StringComparison.Ordinal))
        .Select(n => n[PresetPrefix.Length..^".json".Length]).Order(StringComparer.Ordinal).ToArray();

    public static PipelineSpec LoadPreset(string name)
    {
        using var stream = typeof(ToyPreset).Assembly.GetManifestResourceStream(PresetPrefix + name + ".json")
            ?? throw new InvalidInputException($"{Named("preset")}: unknown experiment '{name}'. Known: {string.Join(", ", PresetNames)}.");
        using var reader = new StreamReader(stream);
        return Parse(reader.ReadToEnd(), $"preset {name}");
    }

    public static PipelineSpec Load(string path)
    {
        InputFile.RequireReadable(path, "spec file");
        return Parse(File.ReadAllText(path), path);
    }
}
