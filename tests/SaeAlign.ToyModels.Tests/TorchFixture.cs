using SaeAlign.Torch;

namespace SaeAlign.ToyModels.Tests;

/// <summary>One torch thread for every test: results then do not depend on the machine's core count.</summary>
[SetUpFixture]
public sealed class TorchFixture
{
    [OneTimeSetUp]
    public void ConfigureTorch() => TorchRuntime.Configure(threads: 1);
}
