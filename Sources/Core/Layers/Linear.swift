/// y = x·Wᵀ + b for x of shape N×in. Parameters `NAME.weight` (out×in) and `NAME.bias` (out).
public struct Linear: Layer {
    public let name: String, inputSize: Int, outputSize: Int, hasBias: Bool

    public init(name: String, inputSize: Int, outputSize: Int, bias: Bool = true) {
        self.name = name; self.inputSize = inputSize; self.outputSize = outputSize; hasBias = bias
    }

    public func initialParameters(generator: inout SeededGenerator) -> Parameters {
        var p = Parameters([("\(name).weight", uniformFanIn([outputSize, inputSize], fanIn: inputSize, generator: &generator))])
        if hasBias { p["\(name).bias"] = uniformFanIn([outputSize], fanIn: inputSize, generator: &generator) }
        return p
    }

    public func callAsFunction(_ input: Tensor, _ context: ForwardContext) -> Tensor {
        precondition(input.rank == 2 && input.shape[1] == inputSize, "\(name): expected N×\(inputSize) input, got \(input.shape)")
        let weight = context.parameters["\(name).weight"]
        return hasBias ? affine(input, weight: weight, bias: context.parameters["\(name).bias"])
                       : matmul(input, weight, transposeB: true)
    }
}

/// Flattens N×… to N×(rest).
public struct Flatten: Layer {
    public init() {}
    public func callAsFunction(_ input: Tensor, _ context: ForwardContext) -> Tensor {
        input.reshaped([input.shape[0], input.count / input.shape[0]])
    }
}

/// max(0, x).
public struct ReLU: Layer {
    public init() {}
    public func callAsFunction(_ input: Tensor, _ context: ForwardContext) -> Tensor { relu(input) }
}
