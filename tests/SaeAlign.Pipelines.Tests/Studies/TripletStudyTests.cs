using SaeAlign.Alignment;
using SaeAlign.Core;
using SaeAlign.Data;
using SaeAlign.Pipelines.Studies;

namespace SaeAlign.Pipelines.Tests.Studies;

public class TripletStudyTests : StudyTest
{
    private static readonly TripletStudyOptions Small = new()
    {
        Items = 40, UniqueTriplets = 600, RepeatedTriplets = 50, Subjects = 4, Resamples = 200,
        NoiseLevels = [0, 0.1, 0.3, 1, 3],
    };

    private static double[] Column(IReadOnlyList<TableColumn> table, string name, string representation)
    {
        var names = (string[])table.Single(c => c.Name == "representation").Values;
        var values = (double[])table.Single(c => c.Name == name).Values;
        return values.Where((_, r) => names[r] == representation).ToArray();
    }

    [Test]
    public void JudgementsFromAnEmbeddingAgreeFullyWithoutNoiseAndLessWithMore()
    {
        var embedding = Matrix.FromRows(Enumerable.Range(0, 30).Select(i => new[] { Math.Cos(i), Math.Sin(2 * i), i % 7 - 3.0 }).ToArray());
        var draws = SyntheticTriplets.Draw(30, 800, 0, 1, seed: 3);
        var scores = new[] { 0, 0.05, 0.2, 0.5, 2 }.Select(level => TripletAgreement.Score(embedding, draws.Judge(embedding, level, SimilarityKind.Cosine))).ToArray();
        Assert.That(scores[0], Is.EqualTo(1));
        for (int i = 1; i < scores.Length; i++) Assert.That(scores[i], Is.LessThan(scores[i - 1]), $"level {i}");
        Assert.That(scores[^1], Is.LessThan(0.6));
    }

    [Test]
    public void StudyShowsPerfectAgreementWithoutNoiseAndMonotoneDecreaseWithNoise()
    {
        var result = TripletStudy.Run(Small, Root);
        var truth = Column(result.Table, "score", "truth");
        Assert.That(truth[0], Is.EqualTo(1));
        for (int i = 1; i < truth.Length; i++) Assert.That(truth[i], Is.LessThan(truth[i - 1]));
        var ceiling = Column(result.Table, "ceiling_upper", "truth");
        Assert.That(ceiling[0], Is.EqualTo(1));
        Assert.That(ceiling[^1], Is.LessThan(ceiling[0]));
        var rsa = Column(result.Table, "rsa", "truth");
        Assert.That(rsa[0], Is.GreaterThan(rsa[^1]));
        // The perturbed copy sits between the truth and chance; the unrelated embedding near chance (1/3).
        var perturbed = Column(result.Table, "score", "perturbed");
        var random = Column(result.Table, "score", "random");
        Assert.That(perturbed[0], Is.LessThan(1).And.GreaterThan(random[0] + 0.15));
        Assert.That(random[0], Is.EqualTo(1.0 / 3).Within(0.08));
        var lower = Column(result.Table, "ci_lower", "perturbed");
        var upper = Column(result.Table, "ci_upper", "perturbed");
        Assert.That(lower[0], Is.LessThan(perturbed[0]));
        Assert.That(upper[0], Is.GreaterThan(perturbed[0]));
    }

    [Test]
    public void StudyWritesAReproducibleRunFolder()
    {
        var result = TripletStudy.Run(Small with { NoiseLevels = [0, 1] }, Path.Combine(Root, "a"));
        TripletStudy.Run(Small with { NoiseLevels = [0, 1] }, Path.Combine(Root, "b"));
        Assert.That(result.Files, Is.SupersetOf(new[] { "results.parquet", "summary.json", "triplet_agreement.png", "triplet_rsa.png", "manifest.json" }));
        foreach (var file in result.Files) Assert.That(File.Exists(Path.Combine(result.Folder, file)), file);
        AssertFigures(result);
        Assert.That(File.ReadAllBytes(Path.Combine(Root, "b", "results.parquet")), Is.EqualTo(File.ReadAllBytes(Path.Combine(Root, "a", "results.parquet"))));
        Assert.That(RunFolder.Read(result.Folder).Manifest.Kind, Is.EqualTo("study-triplets"));
        Assert.That(TableParquet.Read(Path.Combine(result.Folder, "results.parquet")).Select(c => c.Name),
            Is.SupersetOf(new[] { "representation", "noise", "score", "ci_lower", "ci_upper", "ceiling_upper", "rsa" }));
    }

    [Test]
    public void StudyScoresAGivenEmbeddingAgainstAGivenTripletFile()
    {
        Directory.CreateDirectory(Root);
        var embeddingPath = Path.Combine(Root, "embedding.npy");
        Npy.Write(embeddingPath, [1, 0, 0, 1, 1, 0.1f, 0.9f, 0.2f], 4, 2);
        var tripletPath = Path.Combine(Root, "triplets.csv");
        File.WriteAllText(tripletPath, "i,j,k,odd,subject\n0,1,2,1,a\n0,1,2,1,b\n1,2,3,1,a\n");
        var result = TripletStudy.Run(new TripletStudyOptions { Embedding = embeddingPath, Triplets = tripletPath, Resamples = 50 }, Path.Combine(Root, "out"));
        Assert.That(((string[])result.Table[0].Values).Single(), Is.EqualTo("embedding.npy"));
        Assert.That(((double[])result.Table.Single(c => c.Name == "score").Values).Single(), Is.EqualTo(1));
        Assert.That(((double[])result.Table.Single(c => c.Name == "ceiling_upper").Values).Single(), Is.EqualTo(1));
    }

    [Test]
    public void NegativeNoiseAndHalfAFilePairAreBadInputAndWriteNothing()
    {
        var e = Assert.Throws<InvalidInputException>(() => TripletStudy.Run(Small with { NoiseLevels = [0, -0.5] }, Root));
        Assert.That(e!.Message, Does.StartWith("noise: ").And.Contain("-0.5"));
        e = Assert.Throws<InvalidInputException>(() => TripletStudy.Run(Small with { Triplets = "t.csv" }, Root));
        Assert.That(e!.Message, Does.StartWith("embedding and triplets go together"));
        Assert.That(Directory.Exists(Root), Is.False);
    }
}
