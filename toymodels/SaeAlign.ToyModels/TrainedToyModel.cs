using static TorchSharp.torch;

namespace SaeAlign.ToyModels;

/// <summary>
/// One trained toy model: W is row-major [features x neurons] (row i is feature i's direction in
/// neuron space, the ground truth an SAE should recover), Bias is the output bias.
/// </summary>
public sealed record TrainedToyModel(
    long Seed,
    ToyArchitecture Architecture,
    int Features,
    int Neurons,
    float[] W,
    float[] Bias,
    float[] LossCurve)
{
    /// <summary>The hidden activations for a batch of stimuli [rows, features] -> [rows, neurons].</summary>
    public Tensor Hidden(Tensor stimuli)
    {
        using var scope = NewDisposeScope();
        var h = matmul(stimuli, tensor(W).reshape(Features, Neurons));
        return (Architecture == ToyArchitecture.HiddenRelu ? nn.functional.relu(h) : h).MoveToOuterDisposeScope();
    }
}
