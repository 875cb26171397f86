namespace SaeAlign.Core;

/// <summary>
/// Derives independent, reproducible seeds from one user seed and a purpose ("data", "init", "folds"),
/// so that changing how one stream is consumed never shifts another.
/// </summary>
public static class Seeds
{
    /// <summary>A 63-bit seed for <paramref name="purpose"/> derived from <paramref name="seed"/> (SplitMix64 over an FNV-1a hash).</summary>
    public static long Derive(long seed, string purpose)
    {
        ulong h = 14695981039346656037UL;
        foreach (char c in purpose)
        {
            h ^= c;
            h *= 1099511628211UL;
        }
        return (long)(SplitMix64((ulong)seed ^ h) >> 1);
    }

    private static ulong SplitMix64(ulong x)
    {
        x += 0x9E3779B97F4A7C15UL;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        return x ^ (x >> 31);
    }
}
