using System.Globalization;
using SaeAlign.Core;

namespace SaeAlign.Data;

/// <summary>
/// Reads odd-one-out judgements: Parquet (int32/int64 columns <c>i</c>, <c>j</c>, <c>k</c>, <c>odd</c>, optional
/// <c>subject</c> of any integer or string type) or CSV with a header naming the same columns in any order.
/// Every index must be an item (0..items-1), the three distinct, and <c>odd</c> one of them; errors name the file,
/// the row (Parquet, 0-based) or line (CSV, 1-based) and the column.
/// </summary>
public static class TripletFile
{
    private static readonly string[] Required = ["i", "j", "k", "odd"];
    private const string SubjectColumn = "subject";

    public static IReadOnlyList<Triplet> Read(string path, int items)
    {
        string extension = Path.GetExtension(path).ToLowerInvariant();
        var triplets = extension switch
        {
            ".parquet" => ReadParquet(path, items),
            ".csv" => ReadCsv(path, items),
            _ => throw new InvalidInputException($"{path}: a triplet file must be .parquet or .csv."),
        };
        InvalidInputException.Require(triplets.Count > 0, $"{path}: no triplets.");
        return triplets;
    }

    private static IReadOnlyList<Triplet> ReadParquet(string path, int items)
    {
        var columns = TableParquet.Read(path);
        int[] Column(string name)
        {
            var column = columns.FirstOrDefault(c => c.Name == name)
                ?? throw new InvalidInputException($"{path}: no '{name}' column; a triplet file has integer columns i, j, k, odd (and optionally subject).");
            return column.Values switch
            {
                int[] v => v,
                long[] v => v.Select((x, r) => x is >= int.MinValue and <= int.MaxValue ? (int)x
                    : throw new InvalidInputException($"{path}: row {r}, column '{name}': {x} is not an item index.")).ToArray(),
                _ => throw new InvalidInputException($"{path}: column '{name}' must be int32 or int64."),
            };
        }
        int[] i = Column("i"), j = Column("j"), k = Column("k"), odd = Column("odd");
        var subjects = columns.FirstOrDefault(c => c.Name == SubjectColumn)?.Values switch
        {
            null => null,
            string[] v => v,
            Array v => v.Cast<object>().Select(x => Convert.ToString(x, CultureInfo.InvariantCulture)!).ToArray(),
        };
        var triplets = new Triplet[i.Length];
        for (int r = 0; r < i.Length; r++)
            triplets[r] = Validated(new Triplet(i[r], j[r], k[r], odd[r], subjects?[r]), items, $"{path}: row {r}");
        return triplets;
    }

    private static IReadOnlyList<Triplet> ReadCsv(string path, int items)
    {
        InputFile.RequireReadable(path);
        using var reader = new StreamReader(path);
        var header = reader.ReadLine();
        InvalidInputException.Require(header is not null, $"{path}: empty file; the first line must name the columns i, j, k, odd (and optionally subject).");
        var names = Fields(header!).Select(n => n.ToLowerInvariant()).ToArray();
        var position = new Dictionary<string, int>();
        for (int c = 0; c < names.Length; c++)
        {
            InvalidInputException.Require(!position.ContainsKey(names[c]), $"{path}: line 1: column '{names[c]}' appears twice.");
            position[names[c]] = c;
        }
        foreach (var name in Required)
            InvalidInputException.Require(position.ContainsKey(name), $"{path}: line 1: no '{name}' column; the header must name i, j, k, odd (and optionally subject).");
        int? subject = position.TryGetValue(SubjectColumn, out int s) ? s : null;

        var triplets = new List<Triplet>();
        int line = 1;
        for (var text = reader.ReadLine(); text is not null; text = reader.ReadLine())
        {
            line++;
            if (string.IsNullOrWhiteSpace(text)) continue;
            var fields = Fields(text);
            string where = string.Create(CultureInfo.InvariantCulture, $"{path}: line {line}");
            InvalidInputException.Require(fields.Length == names.Length, $"{where}: {fields.Length} fields, but the header has {names.Length}.");
            int Index(string name)
            {
                string value = fields[position[name]];
                return int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int index)
                    ? index
                    : throw new InvalidInputException($"{where}, column '{name}': '{value}' is not an integer item index.");
            }
            triplets.Add(Validated(new Triplet(Index("i"), Index("j"), Index("k"), Index("odd"), subject is { } c ? fields[c] : null), items, where));
        }
        return triplets;
    }

    private static Triplet Validated(Triplet t, int items, string where)
    {
        foreach (var (name, value) in new[] { ("i", t.I), ("j", t.J), ("k", t.K) })
            InvalidInputException.Require(value >= 0 && value < items,
                $"{where}, column '{name}': {value} is outside the items 0..{items - 1}.");
        InvalidInputException.Require(t.I != t.J && t.I != t.K && t.J != t.K,
            $"{where}: the triplet ({t.I}, {t.J}, {t.K}) repeats an item; i, j, k must be three different items.");
        InvalidInputException.Require(t.Odd == t.I || t.Odd == t.J || t.Odd == t.K,
            $"{where}, column 'odd': {t.Odd} is not one of i, j, k ({t.I}, {t.J}, {t.K}).");
        return t;
    }

    /// <summary>Comma-separated fields, trimmed, with surrounding double quotes removed (no embedded commas).</summary>
    private static string[] Fields(string line) =>
        line.Split(',').Select(f => f.Trim().Trim('"').Trim()).ToArray();
}
