namespace SaeAlign.Pipelines;

/// <summary>
/// Which representations of two models are compared (source -> target). "neuron" is a model's hidden
/// layer, "sae" its SAE latents, "random-sae" the latents of an untrained SAE of the same shape (the control).
/// </summary>
public static class Comparisons
{
    public const string NeuronToNeuron = "neuron->neuron";
    public const string SaeToNeuron = "sae->neuron";
    public const string NeuronToSae = "neuron->sae";
    public const string SaeToSae = "sae->sae";
    public const string RandomSaeToRandomSae = "random-sae->random-sae";

    public static IReadOnlyList<string> All { get; } = [NeuronToNeuron, SaeToNeuron, NeuronToSae, SaeToSae, RandomSaeToRandomSae];
}
