using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SaeAlign.Sae;

/// <summary>
/// AdamW as torch.optim.AdamW (decoupled weight decay, bias-corrected moments, ε outside the square
/// root), written out so that its state is a pair of named tensors per parameter: a checkpoint saves
/// them and a resumed run continues bit for bit.
/// </summary>
internal sealed class AdamW : IDisposable
{
    private const double Beta1 = 0.9, Beta2 = 0.999, Epsilon = 1e-8;
    private readonly IReadOnlyList<(string Name, Parameter Parameter)> parameters;
    private readonly double weightDecay;

    public AdamW(IReadOnlyList<(string Name, Parameter Parameter)> parameters, double weightDecay)
    {
        this.parameters = parameters;
        this.weightDecay = weightDecay;
        First = parameters.Select(p => zeros_like(p.Parameter).DetachFromDisposeScope()).ToArray();
        Second = parameters.Select(p => zeros_like(p.Parameter).DetachFromDisposeScope()).ToArray();
    }

    public Tensor[] First { get; }
    public Tensor[] Second { get; }

    public IEnumerable<(string Name, Tensor Tensor)> State =>
        parameters.Select((p, i) => ($"adam.m.{p.Name}", First[i])).Concat(parameters.Select((p, i) => ($"adam.v.{p.Name}", Second[i])));

    public void ZeroGrad()
    {
        foreach (var (_, p) in parameters) p.grad?.zero_();
    }

    /// <summary>One update at 1-based step <paramref name="t"/> with learning rate <paramref name="lr"/>.</summary>
    public void Step(int t, double lr)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        double correction1 = 1 - Math.Pow(Beta1, t), correction2 = 1 - Math.Pow(Beta2, t);
        for (int i = 0; i < parameters.Count; i++)
        {
            var p = parameters[i].Parameter;
            if (p.grad is not { } g) continue;
            p.mul_(1 - lr * weightDecay);
            First[i].mul_(Beta1).add_(g, alpha: 1 - Beta1);
            Second[i].mul_(Beta2).addcmul_(g, g, value: 1 - Beta2);
            var denominator = (Second[i].sqrt() / Math.Sqrt(correction2)).add_(Epsilon);
            p.addcdiv_(First[i], denominator, value: -lr / correction1);
        }
    }

    public void Dispose()
    {
        foreach (var t in First.Concat(Second)) t.Dispose();
    }
}
