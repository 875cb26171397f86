using SaeAlign.Core;

namespace SaeAlign.Worker.Tests;

public class JobSpecReaderTests
{
    private const string Tiny = "\"features\":6,\"neurons\":2,\"steps\":20,\"evalRows\":50";

    private static IReadOnlyList<JobPlan> Read(TempFolder temp, string json) =>
        new JobSpecReader(JobTypes.All(), new DataRoot(temp.Path)).Read(json, "spec.json");

    private static string Error(string json)
    {
        using var temp = new TempFolder();
        return Assert.Throws<InvalidInputException>(() => Read(temp, json))!.Message;
    }

    [Test]
    public void ASpecBecomesOneJobWithAHashNamedOutputUnderOut()
    {
        using var temp = new TempFolder();
        var plan = Read(temp, $"{{\"type\":\"train-toy\",{Tiny},\"seeds\":[0,1],\"out\":\"runs/toy\"}}").Single();
        Assert.That(plan.Type, Is.EqualTo("train-toy"));
        Assert.That(plan.ConfigHash, Has.Length.EqualTo(16));
        Assert.That(plan.Output, Is.EqualTo($"runs/toy/{plan.ConfigHash}"));
        Assert.That(plan.Spec["steps"]!.GetValue<int>(), Is.EqualTo(20));
        Assert.That(plan.Spec["batch"]!.GetValue<int>(), Is.EqualTo(1024), "defaults are filled in");
        // The hashed fields in the order earlier versions wrote them: the same job keeps its output folder.
        Assert.That(plan.Spec.Select(p => p.Key).Where(k => k != "out"), Is.EqualTo(new[]
        {
            "architecture", "features", "neurons", "probability", "importance", "steps", "batch", "lr", "weightDecay", "evalRows", "dataSeed", "seeds",
        }));
    }

    [Test]
    public void APresetAndTheSameExplicitFieldsAreTheSameJob()
    {
        using var temp = new TempFolder();
        var preset = Read(temp, "{\"type\":\"train-toy\",\"preset\":\"paper-64x8\",\"steps\":50}").Single();
        var explicitFields = Read(temp, "{\"type\":\"train-toy\",\"features\":64,\"neurons\":8,\"probability\":0.1,\"importance\":\"paper\",\"steps\":50}").Single();
        var other = Read(temp, "{\"type\":\"train-toy\",\"preset\":\"paper-64x8\",\"steps\":51}").Single();
        Assert.That(explicitFields.ConfigHash, Is.EqualTo(preset.ConfigHash));
        Assert.That(other.ConfigHash, Is.Not.EqualTo(preset.ConfigHash));
    }

    [Test]
    public void ASweepExpandsIntoOneJobPerCombinationEachWithItsOwnOutput()
    {
        using var temp = new TempFolder();
        var plans = Read(temp, "{\"type\":\"train-toy\",\"preset\":\"paper-64x8\",\"steps\":50,\"sweep\":{\"seeds\":[[0],[1]],\"neurons\":[4,8]}}");
        Assert.That(plans, Has.Count.EqualTo(4));
        Assert.That(plans.Select(p => p.Output).Distinct().Count(), Is.EqualTo(4));
        Assert.That(plans.Select(p => (p.Spec["seeds"]![0]!.GetValue<long>(), p.Spec["neurons"]!.GetValue<int>())),
            Is.EqualTo(new[] { (0L, 4), (0L, 8), (1L, 4), (1L, 8) }));
        Assert.That(plans.All(p => !p.Spec.ContainsKey("sweep") && !p.Spec.ContainsKey("preset")));
    }

    [Test]
    public void AnArrayOfSpecsIsReadAsOneBatch()
    {
        using var temp = new TempFolder();
        var plans = Read(temp, $"[{{\"type\":\"train-toy\",{Tiny}}}, {{\"type\":\"train-toy\",{Tiny},\"seeds\":[3]}}]");
        Assert.That(plans, Has.Count.EqualTo(2));
    }

    [Test]
    public void MalformedJsonNamesTheFileAndLine() =>
        Assert.That(Error("{\"type\":\"train-toy\",\n\"features\":6,,}"), Does.StartWith("spec.json: malformed JSON at line 2"));

    [Test]
    public void AnUnknownTypeListsTheKnownOnes() =>
        Assert.That(Error("{\"type\":\"train-everything\"}"), Does.StartWith("spec.json: type: unknown job type 'train-everything'").And.Contain("train-toy"));

    [Test]
    public void AMissingTypeIsNamed() =>
        Assert.That(Error($"{{{Tiny}}}"), Does.Contain("type: missing"));

    [TestCase("\"features\":0,\"neurons\":2", "features must be at least 1")]
    [TestCase("\"features\":6,\"neurons\":2,\"probability\":1.5", "probability must be in (0, 1]")]
    [TestCase("\"features\":6,\"neurons\":2,\"evalRows\":-1", "evalRows must be at least 1")]
    [TestCase("\"features\":6,\"neurons\":2,\"seeds\":[-1]", "seeds")]
    [TestCase("\"features\":6,\"neurons\":2,\"importance\":\"loud\"", "importance")]
    [TestCase("\"features\":6,\"neurons\":2,\"steps\":\"many\"", "steps")]
    [TestCase("\"features\":6,\"neurons\":2,\"colour\":\"red\"", "colour")]
    [TestCase("\"preset\":\"paper-1x1\"", "preset: unknown preset 'paper-1x1'")]
    [TestCase("\"neurons\":2", "needs preset or both features and neurons")]
    public void OutOfRangeOrUnknownFieldsAreNamed(string fields, string expected) =>
        Assert.That(Error($"{{\"type\":\"train-toy\",{fields}}}"), Does.StartWith("spec.json: ").And.Contain(expected));

    [Test]
    public void ABadValueInsideASweepNamesTheCombination() =>
        Assert.That(Error($"{{\"type\":\"train-toy\",{Tiny},\"sweep\":{{\"neurons\":[2,0]}}}}"),
            Does.Contain("(sweep neurons=0)").And.Contain("neurons must be at least 1"));

    [TestCase("{\"out\":[\"a\"]}", "sweep.out: this field cannot be swept")]
    [TestCase("{\"neurons\":[]}", "sweep.neurons: must be a non-empty list")]
    [TestCase("[1,2]", "sweep: must be an object")]
    public void BadSweepsAreNamed(string sweep, string expected) =>
        Assert.That(Error($"{{\"type\":\"train-toy\",{Tiny},\"sweep\":{sweep}}}"), Does.Contain(expected));

    [Test]
    public void OutputPathsOutsideTheDataRootAreRejected()
    {
        Assert.That(Error($"{{\"type\":\"train-toy\",{Tiny},\"out\":\"../escape\"}}"), Does.Contain("out: '../escape' contains '..'"));
        Assert.That(Error($"{{\"type\":\"train-toy\",{Tiny},\"out\":\"/tmp\"}}"), Does.Contain("outside the data root"));
    }
}
