using System.Globalization;
using System.Text.RegularExpressions;
using SaeAlign.Core;
using SaeAlign.Testing;
using static SaeAlign.Core.InputField;

namespace SaeAlign.Core.Tests;

public class InputMessageTests
{
    [Test]
    public void AFieldIsRenderedByEachFrontEndInItsOwnSpelling()
    {
        var error = new InvalidInputException($"{Named("dSae")} must be at least 1, got {0}; see {Named("l1Coefficient")} and {Named("auxK")}.");

        Assert.That(error.Message, Is.EqualTo("dSae must be at least 1, got 0; see l1Coefficient and auxK."));
        Assert.That(error.Input.Render(f => f.Option), Is.EqualTo("--d-sae must be at least 1, got 0; see --l1-coefficient and --aux-k."));
        Assert.That(error.Input.Field, Is.EqualTo(Named("dSae")));
    }

    [Test]
    public void AMessageWithoutFieldsHasNoField()
    {
        var error = new InvalidInputException($"{"data.npy"}: row {3} is empty.");

        Assert.That(error.Message, Is.EqualTo("data.npy: row 3 is empty."));
        Assert.That(error.Input.Field, Is.Null);
    }

    [Test]
    public void NumbersAreWrittenInvariantlyWhateverTheCulture()
    {
        var culture = CultureInfo.CurrentCulture;
        try
        {
            CultureInfo.CurrentCulture = CultureInfo.GetCultureInfo("de-DE");
            var error = new InvalidInputException($"{Named("lr")} must be positive, got {-0.5}; {1234567:N0} rows.");
            Assert.That(error.Message, Is.EqualTo("lr must be positive, got -0.5; 1,234,567 rows."));
        }
        finally
        {
            CultureInfo.CurrentCulture = culture;
        }
    }

    [Test]
    public void AMessageNamingWhereAValueCameFromKeepsItsFields()
    {
        InputMessage fromFlag = Named("cv"), fromFile = "spec.json: cv";

        Assert.That(new InvalidInputException($"{fromFlag}: 'x' is not a split.").Input.Render(f => f.Option), Is.EqualTo("--cv: 'x' is not a split."));
        Assert.That(new InvalidInputException($"{fromFile}: 'x' is not a split.").Input.Render(f => f.Option), Is.EqualTo("spec.json: cv: 'x' is not a split."));
    }

    [Test]
    public void RequireBuildsNoMessageWhenTheConditionHolds()
    {
        int formatted = 0;
        string Count() => (++formatted).ToString(CultureInfo.InvariantCulture);

        InvalidInputException.Require(true, $"{Named("k")} is {Count()}.");
        var error = Assert.Throws<InvalidInputException>(() => InvalidInputException.Require(false, $"{Named("k")} is {Count()}."));

        Assert.That(formatted, Is.EqualTo(1));
        Assert.That(error!.Message, Is.EqualTo("k is 1."));
    }

    [Test]
    public void NoLibraryMessageSpellsACommandLineFlag()
    {
        // Libraries name fields (InputField); only the front ends (tools/, the worker host) spell flags.
        string[] libraries = ["src/SaeAlign.Core", "src/SaeAlign.Data", "src/SaeAlign.Torch", "src/SaeAlign.Kernels", "src/SaeAlign.Sae", "src/SaeAlign.Alignment",
            "src/SaeAlign.Pipelines", "toymodels/SaeAlign.ToyModels"];
        var flagInString = new Regex("\"[^\"\\n]*--[a-z][^\"\\n]*\"");
        var offending = libraries
            .SelectMany(library => Directory.EnumerateFiles(Repository.File(library), "*.cs", SearchOption.AllDirectories))
            .Where(path => !path.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .SelectMany(path => File.ReadLines(path).Select((line, i) => (path, line, number: i + 1)))
            .Where(x => !x.line.TrimStart().StartsWith("//", StringComparison.Ordinal) && flagInString.IsMatch(x.line))
            .Select(x => $"{x.path}:{x.number}: {x.line.Trim()}")
            .ToList();

        Assert.That(offending, Is.Empty);
    }
}
