using System.Reflection;
using System.Text.RegularExpressions;
using ILGPU;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;

namespace SaeAlign.Kernels.Tests;

/// <summary>
/// Every kernel of the engine compiles to PTX for a Hopper GPU (sm_90, the H200's) on this machine, with no GPU or
/// driver: ILGPU's PTX backend alone. A kernel that only a CPU accelerator can run fails here, not on a borrowed GPU.
/// </summary>
public class PtxTests
{
    /// <summary>The engine's kernels: static methods named *Kernel, an index first where ILGPU groups them itself.</summary>
    private static IEnumerable<MethodInfo> Kernels() =>
        typeof(TopKEngine).Assembly.GetTypes()
            .SelectMany(t => t.GetMethods(BindingFlags.Static | BindingFlags.NonPublic | BindingFlags.Public | BindingFlags.DeclaredOnly))
            .Where(m => m.Name.EndsWith("Kernel", StringComparison.Ordinal) && m.ReturnType == typeof(void));

    [Test]
    public void EveryKernelCompilesForSm90()
    {
        using var context = Context.Create(builder => builder.Cuda());
        using var backend = new PTXBackend(context, new CudaCapabilityContext(CudaArchitecture.SM_90), CudaArchitecture.SM_90, CudaInstructionSet.ISA_78, null);
        var kernels = Kernels().ToArray();
        Assert.That(kernels.Select(k => $"{k.DeclaringType!.Name}.{k.Name}"), Is.SupersetOf(new[] { "Gemm.Kernel", "RowTopK.GroupedKernel", "SparseDecode.ResidualKernel", "AdamW.UpdateKernel", "DeadLatents.ListUnfiredKernel" }));
        foreach (var kernel in kernels)
        {
            string name = $"{kernel.DeclaringType!.Name}.{kernel.Name}";
            var entry = kernel.GetParameters()[0].ParameterType == typeof(Index1D)
                ? EntryPointDescription.FromImplicitlyGroupedKernel(kernel)
                : EntryPointDescription.FromExplicitlyGroupedKernel(kernel);
            string ptx = ((PTXCompiledKernel)backend.Compile(entry, KernelSpecialization.Empty)).PTXAssembly;
            // ILGPU may name an older target (sm_80) in the PTX; the driver JIT-compiles it for the device.
            Assert.That(ptx, Does.Contain(".visible .entry"), name);
            // Static shared memory above 48 KiB a group does not launch without an opt-in ILGPU does not make.
            int shared = Declared(ptx, ".shared");
            Assert.That(shared, Is.LessThanOrEqualTo(48 * 1024), $"{name}'s shared memory");
            if (name is "Gemm.Kernel" or "RowTopK.GroupedKernel") Assert.That(shared, Is.Positive, $"{name}'s shared memory is read from the PTX");
            TestContext.Out.WriteLine($"{name}: {shared} B shared a group, {Declared(ptx, ".local")} B local a thread");
        }
        TestContext.Out.WriteLine($"{kernels.Length} kernels compiled to PTX for sm_90.");
    }

    /// <summary>The bytes of the PTX's <paramref name="space"/> (.shared, .local) declarations.</summary>
    private static int Declared(string ptx, string space) =>
        Regex.Matches(ptx, $@"^\s*\{space} \.align \d+ \.b8 \w+\[(\d+)\];", RegexOptions.Multiline).Sum(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
}
