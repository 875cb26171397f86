using System.CommandLine;
using SaeAlign.Core;
using SaeAlign.Torch;
using TorchSharp;

namespace SaeAlign.Tool.Commands;

/// <summary>The options every long-running command shares.</summary>
internal sealed class CommonOptions
{
    private readonly Option<int> threads = new("--threads") { Description = "Torch threads (0: one per core). Results are reproducible for a fixed thread count." };
    private readonly Option<string> device = new("--device")
    {
        Description = $"Where models, optimiser state, batches and moment sums live: {ComputeDevice.Spellings} (auto: CUDA when this build's libtorch has it, else the CPU). README, GPU.",
        DefaultValueFactory = _ => ComputeDevice.Auto,
    };
    private readonly Option<bool> quiet = new("--quiet") { Description = "No progress bars." };
    private readonly Option<bool> json = new("--json") { Description = "Print one JSON document on stdout and nothing else there." };

    public void AddTo(Command command)
    {
        command.Options.Add(threads);
        command.Options.Add(device);
        command.Options.Add(quiet);
        command.Options.Add(json);
    }

    public CommonSettings Read(ParseResult parse) => new(parse.GetValue(threads), parse.GetValue(device)!, parse.GetValue(quiet), parse.GetValue(json));
}

internal sealed record CommonSettings(int Threads, string DeviceSpec, bool Quiet, bool Json)
{
    /// <summary>The device --device names, on this machine (after <see cref="TorchRuntime.Configure"/>); one it does not have is bad input naming --device.</summary>
    public torch.Device Device() => ComputeDevice.Resolve(DeviceSpec, InputField.Named("device"));
}
