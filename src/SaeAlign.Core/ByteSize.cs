using System.Globalization;

namespace SaeAlign.Core;

/// <summary>Sizes in the messages that refuse work for memory: decimal gigabytes, one decimal.</summary>
public static class ByteSize
{
    public static string Gb(long bytes) => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1e9:0.0} GB");
}
