using System.Globalization;

namespace SaeAlign.Bench;

/// <summary>This process's peak resident memory (VmHWM), for the single-shot harnesses' child processes.</summary>
internal static class PeakMemory
{
    public static double Megabytes()
    {
        // "VmHWM:\t  123456 kB": a tab, then padding that large values do not have.
        string line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        string kilobytes = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries)[1];
        return long.Parse(kilobytes, CultureInfo.InvariantCulture) / 1024.0;
    }
}
