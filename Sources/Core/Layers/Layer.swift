/// A building block of a model. A layer owns no numbers: it names its parameters (under its
/// `name` prefix), makes initial values for them, and computes its output from a
/// `ForwardContext`, so the same layer runs at any parameters.
public protocol Layer {
    /// Initial parameters (trainable) under this layer's names.
    func initialParameters(generator: inout SeededGenerator) -> Parameters
    /// Initial non-trainable buffers (batch-norm running statistics).
    func initialBuffers() -> Parameters
    func callAsFunction(_ input: Tensor, _ context: ForwardContext) -> Tensor
}

extension Layer {
    public func initialParameters(generator: inout SeededGenerator) -> Parameters { Parameters() }
    public func initialBuffers() -> Parameters { Parameters() }
}

/// Layers applied one after another.
public struct Sequential: Layer {
    public var layers: [any Layer]

    public init(_ layers: [any Layer]) { self.layers = layers }

    public func initialParameters(generator: inout SeededGenerator) -> Parameters {
        var result = Parameters()
        for layer in layers { result = result.merging(layer.initialParameters(generator: &generator)) }
        return result
    }

    public func initialBuffers() -> Parameters {
        layers.reduce(Parameters()) { $0.merging($1.initialBuffers()) }
    }

    public func callAsFunction(_ input: Tensor, _ context: ForwardContext) -> Tensor {
        layers.reduce(input) { $1($0, context) }
    }
}

/// U(−1/√fanIn, 1/√fanIn): PyTorch's default initialisation of linear and convolution layers.
func uniformFanIn(_ shape: [Int], fanIn: Int, generator: inout SeededGenerator) -> Tensor {
    let bound = 1 / Float(max(fanIn, 1)).squareRoot()
    return Tensor.randomUniform(shape, low: -bound, high: bound, generator: &generator)
}
