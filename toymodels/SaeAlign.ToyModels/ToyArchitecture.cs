namespace SaeAlign.ToyModels;

/// <summary>Which toy model of superposition: both share one weight matrix W (features x neurons).</summary>
public enum ToyArchitecture
{
    /// <summary>Elhage et al. 2022: h = x W, x' = ReLU(h Wᵀ + b). The hidden layer is linear.</summary>
    ReluOutput,

    /// <summary>The disentanglement paper's variant: h = ReLU(x W), x' = ReLU(h Wᵀ + b).</summary>
    HiddenRelu,
}
