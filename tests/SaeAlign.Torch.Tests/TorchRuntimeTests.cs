using System.Diagnostics;
using SaeAlign.Core;
using static TorchSharp.torch;

namespace SaeAlign.Torch.Tests;

public class TorchRuntimeTests
{
    [Test]
    public void TorchLoadsAndAMatmulRuns()
    {
        TorchRuntime.Configure(threads: 1);
        using var a = tensor(new float[] { 1, 2, 3, 4 }).reshape(2, 2);
        using var b = tensor(new float[] { 5, 6, 7, 8 }).reshape(2, 2);
        using var product = matmul(a, b);
        Assert.That(product.data<float>().ToArray(), Is.EqualTo(new float[] { 19, 22, 43, 50 }));
    }

    [Test]
    public void NegativeThreadCountIsBadInput() =>
        Assert.Throws<InvalidInputException>(() => TorchRuntime.Configure(threads: -1));

    /// <summary>
    /// The build marks libLibTorchSharp.so's GLIBCXX_3.4.32 requirement weak where the system libstdc++
    /// lacks it (src/build/LibTorchSharpGlibcxx.targets); binutils' readelf checks it independently.
    /// </summary>
    [Test]
    public void TheCopiedLibTorchSharpNeedsNoNewerLibstdcxxThanTheSystemHas()
    {
        if (!OperatingSystem.IsLinux()) Assert.Ignore("The libstdc++ version patch applies to Linux only.");
        var library = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        Assert.That(File.Exists(library), library);
        var systemLibstdcxx = new[] { "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/lib/x86_64-linux-gnu/libstdc++.so.6" }.FirstOrDefault(File.Exists);
        if (systemLibstdcxx is null) Assert.Ignore("No system libstdc++ found in the Debian locations.");
        bool systemHasVersion = File.ReadAllText(systemLibstdcxx!, System.Text.Encoding.Latin1).Contains("GLIBCXX_3.4.32");

        string versions;
        try
        {
            using var readelf = Process.Start(new ProcessStartInfo("readelf", ["-V", library]) { RedirectStandardOutput = true })!;
            versions = readelf.StandardOutput.ReadToEnd();
            readelf.WaitForExit();
        }
        catch (System.ComponentModel.Win32Exception)
        {
            Assert.Ignore("readelf (binutils) is not installed; the load test above still covers the patch.");
            return;
        }
        var line = versions.Split('\n').Single(l => l.Contains("Name: GLIBCXX_3.4.32"));
        Assert.That(line.Contains("Flags: WEAK"), Is.EqualTo(!systemHasVersion), line);
    }
}
