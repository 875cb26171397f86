namespace SaeAlign.Data;

/// <summary>
/// One odd-one-out judgement: of stimuli I, J, K (row indices), Odd was picked as the odd one, by
/// <paramref name="Subject"/> when the triplet file names one.
/// </summary>
public readonly record struct Triplet(int I, int J, int K, int Odd, string? Subject = null)
{
    /// <summary>The three items in ascending order: judgements of the same triplet share it whatever order they list the items in.</summary>
    public (int, int, int) Items
    {
        get
        {
            Span<int> items = [I, J, K];
            items.Sort();
            return (items[0], items[1], items[2]);
        }
    }
}
