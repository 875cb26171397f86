using System.Globalization;
using SaeAlign.Alignment;
using SaeAlign.Core;
using SaeAlign.Data;
using SaeAlign.ToyModels.Networks;
using static SaeAlign.Core.InputField;

namespace SaeAlign.Pipelines.Studies;

/// <summary>
/// Options of the triplet study. Without files: a known Gaussian embedding of <see cref="Items"/> items judges
/// synthetic triplets at each observation-noise level, and three representations are scored against the judgements
/// (the embedding itself, a perturbed copy, an unrelated random embedding). With <see cref="Embedding"/> and
/// <see cref="Triplets"/>: that embedding is scored against those judgements.
/// </summary>
public sealed record TripletStudyOptions
{
    public long Seed { get; init; }
    public int Items { get; init; } = 100;
    public int Dimensions { get; init; } = 8;
    /// <summary>Triplets judged once per noise level.</summary>
    public int UniqueTriplets { get; init; } = 2000;
    /// <summary>Triplets judged by every subject (for the noise ceiling).</summary>
    public int RepeatedTriplets { get; init; } = 100;
    public int Subjects { get; init; } = 5;
    /// <summary>Observation noise (SD added to each pair similarity), in similarity units.</summary>
    public IReadOnlyList<double> NoiseLevels { get; init; } = [0, 0.05, 0.1, 0.2, 0.4, 0.8, 1.6];
    /// <summary>SD of the perturbation that turns the embedding into the "perturbed" representation (entries have SD 1).</summary>
    public double Perturbation { get; init; } = 0.7;
    public SimilarityKind Similarity { get; init; } = SimilarityKind.Cosine;
    public int Resamples { get; init; } = TripletAgreement.DefaultResamples;
    public string? Embedding { get; init; }
    public string? Triplets { get; init; }

    public void Validate()
    {
        InvalidInputException.Require((Embedding is null) == (Triplets is null), $"{Named("embedding")} and {Named("triplets")} go together: score an embedding against a triplet file.");
        InvalidInputException.Require(Items >= 3, $"{Named("items")} must be at least 3, got {Items}.");
        InvalidInputException.Require(Dimensions >= 1, $"dimensions must be at least 1, got {Dimensions}.");
        InvalidInputException.Require(UniqueTriplets >= 0 && RepeatedTriplets >= 0 && UniqueTriplets + RepeatedTriplets > 0,
            "the study needs some triplets (unique or repeated).");
        InvalidInputException.Require(Subjects >= 1, $"subjects must be at least 1, got {Subjects}.");
        InvalidInputException.Require(NoiseLevels.Count > 0, $"{Named("noise")} must list at least one level.");
        foreach (var level in NoiseLevels)
            InvalidInputException.Require(level >= 0 && double.IsFinite(level), $"{Named("noise")}: {level.ToString(CultureInfo.InvariantCulture)} is not a noise level (finite, >= 0).");
        InvalidInputException.Require(Perturbation >= 0 && double.IsFinite(Perturbation), $"perturbation must be finite and >= 0, got {Perturbation}.");
        InvalidInputException.Require(Resamples >= 1, $"{Named("resamples")} must be at least 1, got {Resamples}.");
    }
}

/// <summary>`saealign study triplets`: odd-one-out agreement, its bootstrap interval, the noise ceiling and triplet RSA.</summary>
public static class TripletStudy
{
    public const string Name = "triplets";

    private sealed record Row(string Representation, double Noise, TripletScore Score, double RepeatedScore, TripletNoiseCeiling? Ceiling, TripletRsaResult Rsa);

    public static StudyResult Run(TripletStudyOptions options, string folder, bool force = false, IProgress<StudyProgress>? progress = null, CancellationToken ct = default)
    {
        options.Validate();
        return StudyFolder.Run(Name, options, [options.Seed], folder, force, () =>
        {
            var rows = options.Embedding is { } embeddingPath ? FromFiles(options, embeddingPath, options.Triplets!, ct) : Synthetic(options, progress, ct);
            return Outcome(rows, options);
        });
    }

    private static IReadOnlyList<Row> FromFiles(TripletStudyOptions options, string embeddingPath, string tripletPath, CancellationToken ct)
    {
        var set = ActivationFile.Read(embeddingPath);
        set.EnsureFinite(embeddingPath);
        var embedding = Matrix.From(set);
        var triplets = TripletFile.Read(tripletPath, set.Rows);
        return [Score(Path.GetFileName(embeddingPath), double.NaN, embedding, triplets, options, ct)];
    }

    private static IReadOnlyList<Row> Synthetic(TripletStudyOptions options, IProgress<StudyProgress>? progress, CancellationToken ct)
    {
        var truth = Gaussian(options.Items, options.Dimensions, Seeds.Derive(options.Seed, "embedding"));
        var noise = Gaussian(options.Items, options.Dimensions, Seeds.Derive(options.Seed, "perturbation"));
        var perturbed = new Matrix(truth.Rows, truth.Columns, truth.Data.Zip(noise.Data, (t, e) => t + options.Perturbation * e).ToArray());
        var random = Gaussian(options.Items, options.Dimensions, Seeds.Derive(options.Seed, "random"));
        var representations = new[] { ("truth", truth), ("perturbed", perturbed), ("random", random) };
        var draws = SyntheticTriplets.Draw(options.Items, options.UniqueTriplets, options.RepeatedTriplets, options.Subjects, Seeds.Derive(options.Seed, "triplets"));

        var rows = new List<Row>();
        for (int n = 0; n < options.NoiseLevels.Count; n++)
        {
            ct.ThrowIfCancellationRequested();
            progress?.Report(new StudyProgress("triplets: noise levels", n, options.NoiseLevels.Count));
            var judgements = draws.Judge(truth, options.NoiseLevels[n], options.Similarity);
            rows.AddRange(representations.Select(r => Score(r.Item1, options.NoiseLevels[n], r.Item2, judgements, options, ct)));
        }
        progress?.Report(new StudyProgress("triplets: noise levels", options.NoiseLevels.Count, options.NoiseLevels.Count));
        return rows;
    }

    private static Row Score(string name, double noise, Matrix embedding, IReadOnlyList<Triplet> judgements, TripletStudyOptions options, CancellationToken ct)
    {
        var score = TripletAgreement.Bootstrap(embedding, judgements, options.Similarity, options.Resamples, Seeds.Derive(options.Seed, "bootstrap"), ct: ct);
        var repeated = TripletNoiseCeiling.Repeated(judgements);
        return new Row(name, noise, score,
            repeated.Count > 0 ? TripletAgreement.Score(embedding, repeated, options.Similarity) : double.NaN,
            TripletNoiseCeiling.Of(judgements),
            TripletRsa.Score(embedding, judgements, options.Similarity));
    }

    private static Matrix Gaussian(int rows, int columns, long seed) => new(rows, columns, new GaussianRandom(seed).Next(rows * columns));

    private static StudyOutcome Outcome(IReadOnlyList<Row> rows, TripletStudyOptions options)
    {
        var table = new[]
        {
            TableColumn.String("representation", rows.Select(r => r.Representation).ToArray()),
            TableColumn.Float64("noise", rows.Select(r => r.Noise).ToArray()),
            TableColumn.Int32("triplets", rows.Select(r => r.Score.Triplets).ToArray()),
            TableColumn.Float64("score", rows.Select(r => r.Score.Score).ToArray()),
            TableColumn.Float64("ci_lower", rows.Select(r => r.Score.Lower).ToArray()),
            TableColumn.Float64("ci_upper", rows.Select(r => r.Score.Upper).ToArray()),
            TableColumn.Float64("repeated_score", rows.Select(r => r.RepeatedScore).ToArray()),
            TableColumn.Float64("ceiling_upper", rows.Select(r => r.Ceiling?.Upper ?? double.NaN).ToArray()),
            TableColumn.Float64("ceiling_lower", rows.Select(r => r.Ceiling?.Lower ?? double.NaN).ToArray()),
            TableColumn.Float64("rsa", rows.Select(r => r.Rsa.Score).ToArray()),
            TableColumn.Int32("rsa_pairs", rows.Select(r => r.Rsa.Pairs).ToArray()),
        };
        var summary = new Dictionary<string, double>();
        foreach (var group in rows.GroupBy(r => r.Representation))
        {
            summary[$"{group.Key}.score.first"] = group.First().Score.Score;
            summary[$"{group.Key}.score.last"] = group.Last().Score.Score;
            summary[$"{group.Key}.rsa.first"] = group.First().Rsa.Score;
        }
        var plots = new List<StudyPlot>();
        if (options.Embedding is null)
        {
            var levels = options.NoiseLevels.ToArray();
            // The noise axis starts at 0, so it is linear.
            var scoreSeries = rows.GroupBy(r => r.Representation).Select(g => (
                Label: g.Key, X: levels, Mean: g.Select(r => r.Score.Score).ToArray(),
                Error: g.Select(r => (r.Score.Upper - r.Score.Lower) / 2).ToArray(), Dashed: false)).ToList();
            var first = rows.Where(r => r.Representation == rows[0].Representation).ToArray();
            if (first.All(r => r.Ceiling is not null))
                scoreSeries.Add(("noise ceiling (upper)", levels, first.Select(r => r.Ceiling!.Upper).ToArray(), levels.Select(_ => double.NaN).ToArray(), true));
            plots.Add(new StudyPlot("triplet_agreement.png", path => ReportPlots.Sweep(path,
                "Odd-one-out agreement vs observation noise (95% bootstrap CI)", "observation noise (SD on pair similarity)", "agreement", false, scoreSeries)));
            var rsaSeries = rows.GroupBy(r => r.Representation).Select(g => (
                Label: g.Key, X: levels, Mean: g.Select(r => r.Rsa.Score).ToArray(), Error: levels.Select(_ => double.NaN).ToArray(), Dashed: false)).ToList();
            plots.Add(new StudyPlot("triplet_rsa.png", path => ReportPlots.Sweep(path,
                "RSA: embedding similarity vs triplet-derived similarity", "observation noise (SD on pair similarity)", "Pearson r", false, rsaSeries)));
        }
        return new StudyOutcome(table, summary, plots);
    }
}
