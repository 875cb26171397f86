using System.Text.Json;
using System.Text.Json.Nodes;

namespace SaeAlign.Core.Tests;

/// <summary>Spec errors read as one line naming the field, in words rather than .NET type names.</summary>
public class JsonInputErrorTests
{
    private sealed record Spec
    {
        public int? DSae { get; init; }
        public double Lr { get; init; }
        public bool Shuffle { get; init; }
        public string? Source { get; init; }
        public IReadOnlyList<string>? Metrics { get; init; }
        public DayOfWeek? Day { get; init; }
    }

    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower, allowIntegerValues: false) },
    };

    private static string Error(string json)
    {
        try
        {
            JsonNode.Parse(json, documentOptions: JsonInputError.DocumentOptions).Deserialize<Spec>(Options);
        }
        catch (JsonException e)
        {
            return JsonInputError.Describe(e);
        }
        Assert.Fail("no error");
        return "";
    }

    [TestCase("""{"dSae": "wide"}""", "dSae: expected an integer")]
    [TestCase("""{"dSae": 1.5}""", "dSae: expected an integer")]
    [TestCase("""{"lr": "fast"}""", "lr: expected a number")]
    [TestCase("""{"shuffle": 1}""", "shuffle: expected true or false")]
    [TestCase("""{"source": 3}""", "source: expected a string")]
    [TestCase("""{"metrics": "semi"}""", "metrics: expected a list")]
    [TestCase("""{"day": "someday"}""", "day: expected one of sunday, monday, tuesday, wednesday, thursday, friday, saturday")]
    [TestCase("""[1, 2]""", "spec: expected an object with the spec's fields")]
    public void AWrongValueNamesTheFieldAndWhatItTakes(string json, string expected)
    {
        string message = Error(json);
        Assert.That(message, Does.StartWith(expected));
        Assert.That(message, Does.Not.Contain("System.").And.Not.Contain("SaeAlign.").And.Not.Contain("\n"));
    }

    [Test]
    public void ARepeatedKeyIsAnErrorNamingTheKey()
    {
        string message = Error("{\"source\": \"a.npy\",\n \"source\": \"b.npy\"}");
        Assert.That(message, Does.StartWith("source: the key is given twice"));
    }
}
