using System.Text.Json;
using SaeAlign.Sae;
using SaeAlign.Tool.Commands;

namespace SaeAlign.Tool.Tests;

public class DemoCommandTests
{
    [Test]
    public void DemoIsThePaperToyPresetScaledDown()
    {
        var spec = DemoCommand.Spec();
        var preset = SaeAlign.Pipelines.PipelineSpec.LoadPreset("paper-toy");
        Assert.That(JsonSerializer.Serialize(spec with { Toy = preset.Toy, Stimuli = preset.Stimuli, Neurons = preset.Neurons, Metrics = preset.Metrics }, SaeConfig.Json),
            Is.EqualTo(JsonSerializer.Serialize(preset, SaeConfig.Json)), "only the scale, the widths and the metrics differ");
        Assert.That(spec.Toy with { Steps = preset.Toy.Steps }, Is.EqualTo(preset.Toy));
        Assert.That(spec.Neurons, Is.EqualTo(new[] { 16, 32 }));
        Assert.That(spec.Stimuli, Is.LessThan(preset.Stimuli));
    }

    [Test]
    public async Task HelpListsTheCommands()
    {
        var result = await Cli.Run("--help");
        Assert.That(result.ExitCode, Is.EqualTo(0));
        Assert.That(result.Out, Does.Contain("demo").And.Contain("toy").And.Contain("replay").And.Contain("pipeline"));
    }
}
