using static TorchSharp.torch;

namespace SaeAlign.Sae;

/// <summary>The geometric median of rows (Weiszfeld's iteration), SAELens' default b_dec initialisation.</summary>
public static class GeometricMedian
{
    /// <summary>Rows used for the initialisation: enough for a stable estimate, bounded cost.</summary>
    public const int MaxRows = 16_384;
    private const int MaxIterations = 100;
    private const double Tolerance = 1e-6;

    /// <summary>argmin_y Σ ||x_r - y|| over the rows of <paramref name="x"/> [N, d], in float64.</summary>
    public static Tensor Of(Tensor x)
    {
        using var scope = NewDisposeScope();
        var rows = x.to_type(ScalarType.Float64);
        var y = rows.mean([0]);
        for (int i = 0; i < MaxIterations; i++)
        {
            // Rows at the current estimate would get infinite weight; clamping keeps the step finite.
            var weights = 1.0 / (rows - y).norm(1, keepdim: false).clamp_min(1e-12);
            var next = (rows * weights.unsqueeze(1)).sum(dim: 0) / weights.sum();
            double moved = (next - y).norm().item<double>();
            y = next;
            if (moved <= Tolerance * Math.Max(1.0, y.norm().item<double>())) break;
        }
        return y.to_type(ScalarType.Float32).MoveToOuterDisposeScope();
    }
}
