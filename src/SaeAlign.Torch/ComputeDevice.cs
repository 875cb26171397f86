using System.Globalization;
using SaeAlign.Core;
using TorchSharp;
using static SaeAlign.Core.InputField;

namespace SaeAlign.Torch;

/// <summary>
/// Where tensors live: <c>cpu</c>, <c>cuda</c> (the current GPU), <c>cuda:N</c> or <c>auto</c> (CUDA when the
/// TorchSharp backend this build carries has it, else the CPU). Resolving a CUDA device that this build or machine
/// does not have is bad input, so a run never falls back silently from a GPU it was asked for.
/// </summary>
public static class ComputeDevice
{
    public const string Auto = "auto";

    /// <summary>The spellings a device takes, for help texts and error messages.</summary>
    public const string Spellings = "cpu, cuda, cuda:N or auto";

    /// <summary>The device <paramref name="spec"/> names, on this machine; <paramref name="field"/> is the setting it came from.</summary>
    public static torch.Device Resolve(string? spec, InputField field) =>
        Resolve(spec, field, CudaDevices(), "this build's libtorch has no CUDA or the machine has no NVIDIA GPU: build with -p:TorchSharpBackend=cuda-linux (README, GPU) or use cpu");

    /// <summary>
    /// The device <paramref name="spec"/> names, given how many CUDA devices the code that will use it sees (libtorch's, or
    /// the NVIDIA driver's for the ILGPU engine); <paramref name="withoutCuda"/> says why there are none.
    /// </summary>
    public static torch.Device Resolve(string? spec, InputField field, int cudaDevices, string withoutCuda)
    {
        if (!TryParse(spec ?? Auto, out string text, out int? index))
            throw new InvalidInputException($"{field} must be {Spellings}, got '{spec}'.");
        if (text == Auto) return cudaDevices > 0 ? torch.CUDA : torch.CPU;
        if (index is not { } cuda) return torch.CPU;
        InvalidInputException.Require(cudaDevices > 0, $"{field} is {text}, but {withoutCuda}.");
        InvalidInputException.Require(cuda < cudaDevices, $"{field} is {text}, but this machine has {cudaDevices} CUDA device(s) (cuda:0 to cuda:{cudaDevices - 1}).");
        return new torch.Device(DeviceType.CUDA, cuda);
    }

    /// <summary><see cref="Resolve(string?, InputField)"/> for a setting named <c>device</c>.</summary>
    public static torch.Device Resolve(string? spec) => Resolve(spec, Named("device"));

    /// <summary>Whether <paramref name="spec"/> is a device's spelling (a job spec is checked where it is queued, the device where it runs).</summary>
    public static bool IsSpelling(string spec) => TryParse(spec, out _, out _);

    /// <summary>The lower-case spelling and, for CUDA, the device index.</summary>
    private static bool TryParse(string spec, out string text, out int? cudaIndex)
    {
        text = spec.Trim().ToLowerInvariant();
        cudaIndex = text == "cuda" ? 0
            : text.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(text.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out int n) ? n
            : null;
        return cudaIndex is not null || text is Auto or "cpu";
    }

    /// <summary>Whether this build's libtorch has CUDA and the machine a GPU for it (what <c>auto</c> looks for).</summary>
    public static bool HasCuda => CudaDevices() > 0;

    private static int CudaDevices() => torch.cuda.is_available() ? torch.cuda.device_count() : 0;
}
