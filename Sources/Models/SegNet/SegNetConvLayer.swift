import TandemCore

/// The unit SegNet is built from (the MTAN code's `conv_layer`): a 3×3 convolution with bias and
/// padding 1 → batch norm → ReLU. Parameters `NAME.0.weight`, `NAME.0.bias` (the convolution),
/// `NAME.1.scale`, `NAME.1.shift` and the batch norm's running statistics: the positions of the
/// reference's `nn.Sequential`, so that its state-dict names carry over.
///
/// In training the convolution's output stays in its kernel's blocked layout for the batch norm,
/// and `output: .blocked` keeps the layer's output blocked for a next layer that only convolves it
/// (see `OutputLayout`; the numbers are the same in every layout).
struct SegNetConvLayer: Layer {
    let convolution: Conv2D
    let normalisation: BatchNorm2D
    let output: OutputLayout

    init(name: String, inputChannels: Int, outputChannels: Int, output: OutputLayout = .standard) {
        convolution = Conv2D(name: "\(name).0", inputChannels: inputChannels, outputChannels: outputChannels, kernelSize: 3, padding: 1)
        normalisation = BatchNorm2D(name: "\(name).1", channels: outputChannels)
        self.output = output
    }

    func initialParameters(generator: inout SeededGenerator) -> Parameters {
        xavierNormal(convolution, generator: &generator).merging(normalisation.initialParameters(generator: &generator))
    }

    func initialBuffers() -> Parameters { normalisation.initialBuffers() }

    func callAsFunction(_ input: Tensor, _ context: ForwardContext) -> Tensor {
        let convolved = convolution(input, context, output: context.isTraining ? .blocked : .standard)
        return normalisation(convolved, context, followedByReLU: true, output: output)
    }
}

/// A convolution's parameters as the MTAN code initialises them: weights from Xavier's normal
/// distribution, N(0, 2 / (fan in + fan out)) with fan = channels × kernel area, biases zero.
func xavierNormal(_ convolution: Conv2D, generator: inout SeededGenerator) -> Parameters {
    let area = convolution.kernelSize * convolution.kernelSize
    let deviation = (2 / Float((convolution.inputChannels + convolution.outputChannels) * area)).squareRoot()
    var parameters = Parameters([("\(convolution.name).weight", Tensor.randomNormal(
        [convolution.outputChannels, convolution.inputChannels, convolution.kernelSize, convolution.kernelSize],
        standardDeviation: deviation, generator: &generator))])
    if convolution.hasBias { parameters["\(convolution.name).bias"] = Tensor.zeros([convolution.outputChannels]) }
    return parameters
}
