using System.Globalization;
using SaeAlign.Core;
using static SaeAlign.Core.InputField;

namespace SaeAlign.Alignment;

/// <summary>
/// The CV protocol: <c>none</c> (fit and score on all rows) or <c>kfold:K:SEED</c>. Folds are a seeded
/// shuffle of the rows cut into K contiguous parts, the first N mod K one row larger (as sklearn's KFold with
/// shuffle). The shuffle is Fisher-Yates driven by SplitMix64 so any language can reproduce the folds
/// (data/alignment/make_reference.py does).
/// </summary>
public sealed record CrossValidation(int Folds, long Seed)
{
    public static readonly CrossValidation None = new(1, 0);
    public static readonly CrossValidation Default = new(5, 42);

    public bool IsNone => Folds == 1;

    public override string ToString() => IsNone ? "none" : string.Create(CultureInfo.InvariantCulture, $"kfold:{Folds}:{Seed}");

    /// <summary>Parses <c>none</c> or <c>kfold:K:SEED</c> (K ≥ 2, SEED ≥ 0); errors name <paramref name="field"/>.</summary>
    public static CrossValidation Parse(string text, InputMessage? field = null)
    {
        field ??= Named("cv");
        var value = text.Trim().ToLowerInvariant();
        if (value == "none") return None;
        var parts = value.Split(':');
        if (parts.Length == 3 && parts[0] == "kfold"
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int folds) && folds >= 2
            && long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out long seed))
            return new CrossValidation(folds, seed);
        throw new InvalidInputException($"{field}: '{text}' is not 'none' or 'kfold:K:SEED' with K >= 2 and SEED >= 0 (e.g. kfold:5:42).");
    }

    /// <summary>The fold (0..K-1) of each of <paramref name="rows"/> rows; empty for <see cref="None"/>.</summary>
    public byte[] Assign(int rows)
    {
        if (IsNone) return [];
        if (rows < Folds) throw new InvalidInputException($"{Named("cv")} {this}: {rows} rows cannot fill {Folds} folds.");
        if (Folds > byte.MaxValue) throw new InvalidInputException($"{Named("cv")} {this}: at most {byte.MaxValue} folds.");
        var order = Shuffle(rows, Seed);
        var fold = new byte[rows];
        int position = 0;
        for (int f = 0; f < Folds; f++)
        {
            int size = rows / Folds + (f < rows % Folds ? 1 : 0);
            for (int r = 0; r < size; r++) fold[order[position++]] = (byte)f;
        }
        return fold;
    }

    /// <summary>A permutation of 0..n-1: Fisher-Yates from the end, j = next() mod (i + 1), next() = SplitMix64 from <paramref name="seed"/>.</summary>
    public static int[] Shuffle(int n, long seed)
    {
        var order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        var random = new SplitMix64(seed);
        for (int i = n - 1; i > 0; i--)
        {
            int j = (int)(random.Next() % (ulong)(i + 1));
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }

    /// <summary>The fold mean and its standard error, SD (ddof 1) / sqrt(K); SEM is NaN for one score.</summary>
    public static (double Mean, double Sem) Summarise(IReadOnlyList<double> scores)
    {
        double mean = scores.Average();
        if (scores.Count < 2) return (mean, double.NaN);
        double squares = scores.Sum(s => (s - mean) * (s - mean));
        return (mean, Math.Sqrt(squares / (scores.Count - 1) / scores.Count));
    }
}

/// <summary>SplitMix64 (Steele et al. 2014): tiny, well mixed and trivial to reproduce elsewhere.</summary>
internal struct SplitMix64(long seed)
{
    private ulong state = (ulong)seed;

    public ulong Next()
    {
        state += 0x9E3779B97F4A7C15UL;
        ulong z = state;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
