using System.Text.Json;

namespace SaeAlign.Tool.Tests;

public class PipelineCommandTests
{
    private const string TinySpec = """
        {
          "toy": { "features": 16, "neurons": 4, "steps": 100, "batch": 256, "evalRows": 100 },
          "neurons": [4],
          "seeds": [0, 1],
          "stimuli": 3000,
          "sae": { "architecture": "paper-toy", "dSae": 16, "k": 3, "batch": 128, "shuffle": false, "decoderBiasInit": "zeros", "normalizeInput": false, "unitNormDecoder": false },
          "metrics": ["semi", "cka"],
          "cv": "kfold:3:1"
        }
        """;

    private static string WriteSpec(string folder, string json)
    {
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, "spec.json");
        File.WriteAllText(path, json);
        return path;
    }

    [Test]
    public async Task RunsASpecPrintsTheSummaryAndResumes()
    {
        var folder = Cli.TempFolder();
        var spec = WriteSpec(folder, TinySpec);
        var output = Path.Combine(folder, "run");
        var first = await Cli.Run("pipeline", "run", spec, "--out", output, "--threads", "1", "--quiet", "--json");
        Assert.That(first.ExitCode, Is.Zero, first.Error);
        using var json = JsonDocument.Parse(first.Out);
        var result = json.RootElement.GetProperty("result");
        Assert.That(result.GetProperty("stagesRun").EnumerateArray().Select(s => s.GetString()),
            Is.EqualTo(new[] { "m4/toy", "m4/sae-seed0", "m4/sae-seed1", "m4/alignment" }));
        Assert.That(json.RootElement.GetProperty("summaries").GetArrayLength(), Is.EqualTo(5 * 2));
        Assert.That(File.Exists(Path.Combine(result.GetProperty("report").GetString()!, "summary.md")));

        var again = await Cli.Run("pipeline", "run", spec, "--out", output, "--threads", "1", "--quiet");
        Assert.That(again.ExitCode, Is.Zero, again.Error);
        Assert.That(again.Out, Does.Contain("none (all reused)").And.Contain("m = 4").And.Contain("sae->sae"));
    }

    [Test]
    public async Task SaeStagesGoToReplayAndEncodeAsSaeTrainRunFolders()
    {
        var folder = Cli.TempFolder();
        var output = Path.Combine(folder, "run");
        var run = await Cli.Run("pipeline", "run", WriteSpec(folder, TinySpec), "--out", output, "--threads", "1", "--quiet");
        Assert.That(run.ExitCode, Is.Zero, run.Error);
        string toy = Path.Combine(output, "m4", "toy"), sae0 = Path.Combine(output, "m4", "sae-seed0"), sae1 = Path.Combine(output, "m4", "sae-seed1");

        string[] Replay(string sourceSae, string targetSae) =>
            ["replay", "--source-acts", Path.Combine(toy, "eval_hidden_seed0.parquet"), "--target-acts", Path.Combine(toy, "eval_hidden_seed1.parquet"),
             "--source-sae", sourceSae, "--target-sae", targetSae, "--metrics", "semi", "--cv", "kfold:3:1", "--threads", "1", "--quiet", "--json"];
        var viaFolders = await Cli.Run(Replay(sae0, sae1));
        Assert.That(viaFolders.ExitCode, Is.Zero, viaFolders.Error);
        var viaSaeLens = await Cli.Run(Replay(Path.Combine(sae0, "saelens"), Path.Combine(sae1, "saelens")));
        Assert.That(viaSaeLens.ExitCode, Is.Zero, viaSaeLens.Error);
        using var folders = JsonDocument.Parse(viaFolders.Out);
        using var saeLens = JsonDocument.Parse(viaSaeLens.Out);
        Assert.That(saeLens.RootElement.GetProperty("summaries").ToString(), Is.EqualTo(folders.RootElement.GetProperty("summaries").ToString()),
            "the stage's SAELens folder is its dictionary");

        var encode = await Cli.Run("sae", "encode", "--sae", sae0, "--activations", Path.Combine(toy, "eval_hidden_seed0.parquet"),
            "--out", Path.Combine(folder, "codes.parquet"), "--quiet");
        Assert.That(encode.ExitCode, Is.Zero, encode.Error);
    }

    [TestCase("""{"toy": {"features": 16}, "neurns": [4]}""", "neurns")]
    [TestCase("""{"stimuli": -5}""", "stimuli")]
    [TestCase("""{"sae": {"architecture": "paper-toy", "k": 100, "dSae": 16}}""", "k")]
    public async Task BadSpecIsExitTwoNamingTheFieldAndWritesNothing(string json, string named)
    {
        var folder = Cli.TempFolder();
        var spec = WriteSpec(folder, json);
        var output = Path.Combine(folder, "run");
        var result = await Cli.Run("pipeline", "run", spec, "--out", output, "--quiet");
        Assert.That(result.ExitCode, Is.EqualTo(2));
        Assert.That(result.Error, Does.Contain(named));
        Assert.That(Directory.Exists(output), Is.False);
    }

    [Test]
    public async Task SpecAndPresetTogetherOrABadScaleAreBadInput()
    {
        var folder = Cli.TempFolder();
        var spec = WriteSpec(folder, TinySpec);
        var both = await Cli.Run("pipeline", "run", spec, "--preset", "paper-toy", "--out", Path.Combine(folder, "a"));
        Assert.That((both.ExitCode, both.Error), Is.EqualTo((2, both.Error)));
        Assert.That(both.Error, Does.Contain("--preset"));
        var scale = await Cli.Run("pipeline", "run", "--preset", "paper-toy", "--scale", "3", "--out", Path.Combine(folder, "b"));
        Assert.That(scale.ExitCode, Is.EqualTo(2));
        Assert.That(scale.Error, Does.Contain("--scale"));
        var unknown = await Cli.Run("pipeline", "run", "--preset", "paper-tiny", "--out", Path.Combine(folder, "c"));
        Assert.That(unknown.ExitCode, Is.EqualTo(2));
        Assert.That(unknown.Error, Does.Contain("paper-toy"), "the message lists the known presets");
    }
}
