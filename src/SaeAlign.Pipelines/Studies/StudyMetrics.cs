using SaeAlign.Alignment;
using SaeAlign.Core;

namespace SaeAlign.Pipelines.Studies;

/// <summary>Alignment the studies compute outside the protocol of <see cref="AlignmentRunner"/>.</summary>
internal static class StudyMetrics
{
    /// <summary>
    /// Linear CKA of two sets over the same stimuli, without the protocol's dropping of constant units: they add nothing
    /// to CKA, and small or rank-deficient models may have fewer than the two live units the protocol requires.
    /// </summary>
    public static double Cka(ActivationSet x, ActivationSet y)
    {
        using var accumulator = new MomentAccumulator(x.Columns, y.Columns, 1, new MomentNeeds(true, true, false));
        accumulator.Add(x.Values, y.Values, x.Rows, []);
        return LinearCka.Score(accumulator.Moments()[0]);
    }

    /// <summary>How many units of <paramref name="set"/> take more than one value over its rows.</summary>
    public static int VaryingUnits(ActivationSet set)
    {
        int varying = 0;
        for (int u = 0; u < set.Columns; u++)
        {
            float first = set[0, u];
            for (int r = 1; r < set.Rows; r++)
            {
                if (set[r, u] != first)
                {
                    varying++;
                    break;
                }
            }
        }
        return varying;
    }
}
