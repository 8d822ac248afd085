/// 2-D convolution layer. Parameters `NAME.weight` (out×in×k×k) and, with bias, `NAME.bias`.
public struct Conv2D: Layer {
    public let name: String, inputChannels: Int, outputChannels: Int, kernelSize: Int, stride: Int, padding: Int, hasBias: Bool

    public init(name: String, inputChannels: Int, outputChannels: Int, kernelSize: Int, stride: Int = 1,
                padding: Int = 0, bias: Bool = true) {
        self.name = name; self.inputChannels = inputChannels; self.outputChannels = outputChannels
        self.kernelSize = kernelSize; self.stride = stride; self.padding = padding; hasBias = bias
    }

    public func initialParameters(generator: inout SeededGenerator) -> Parameters {
        let fanIn = inputChannels * kernelSize * kernelSize
        var p = Parameters([("\(name).weight", uniformFanIn([outputChannels, inputChannels, kernelSize, kernelSize],
                                                             fanIn: fanIn, generator: &generator))])
        if hasBias { p["\(name).bias"] = uniformFanIn([outputChannels], fanIn: fanIn, generator: &generator) }
        return p
    }

    public func callAsFunction(_ input: Tensor, _ context: ForwardContext) -> Tensor {
        callAsFunction(input, context, output: .standard)
    }

    /// The convolution with its output in `output`'s layout (see `conv2d`).
    public func callAsFunction(_ input: Tensor, _ context: ForwardContext, output: OutputLayout) -> Tensor {
        conv2d(input, weight: context.parameters["\(name).weight"], bias: hasBias ? context.parameters["\(name).bias"] : nil,
               stride: stride, padding: padding, output: output)
    }
}

/// Transposed 2-D convolution layer. `NAME.weight` is in×out×k×k (PyTorch layout).
public struct ConvTranspose2D: Layer {
    public let name: String, inputChannels: Int, outputChannels: Int, kernelSize: Int, stride: Int, padding: Int
    public let outputPadding: Int, hasBias: Bool

    public init(name: String, inputChannels: Int, outputChannels: Int, kernelSize: Int, stride: Int = 1,
                padding: Int = 0, outputPadding: Int = 0, bias: Bool = true) {
        self.name = name; self.inputChannels = inputChannels; self.outputChannels = outputChannels
        self.kernelSize = kernelSize; self.stride = stride; self.padding = padding
        self.outputPadding = outputPadding; hasBias = bias
    }

    public func initialParameters(generator: inout SeededGenerator) -> Parameters {
        let fanIn = outputChannels * kernelSize * kernelSize
        var p = Parameters([("\(name).weight", uniformFanIn([inputChannels, outputChannels, kernelSize, kernelSize],
                                                             fanIn: fanIn, generator: &generator))])
        if hasBias { p["\(name).bias"] = uniformFanIn([outputChannels], fanIn: fanIn, generator: &generator) }
        return p
    }

    public func callAsFunction(_ input: Tensor, _ context: ForwardContext) -> Tensor {
        callAsFunction(input, context, output: .standard)
    }

    /// The transposed convolution with its output in `output`'s layout (see `conv2d`).
    public func callAsFunction(_ input: Tensor, _ context: ForwardContext, output: OutputLayout) -> Tensor {
        transposedConv2d(input, weight: context.parameters["\(name).weight"],
                         bias: hasBias ? context.parameters["\(name).bias"] : nil, stride: stride,
                         padding: padding, outputPadding: outputPadding, output: output)
    }
}
