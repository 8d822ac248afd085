import TandemCore

/// The last layer of a dense-prediction head: a 1×1 convolution with bias from the last decoder
/// width to the task's channels (`NAME.conv.weight`, `NAME.conv.bias`), followed by the head's
/// output kind (e.g. unit normalisation for normals).
///
/// The TMT paper does not fix this layer; a 1×1 convolution with bias is the MTAN code's final
/// projection and keeps SplitVGG's one-head count at the paper's 7.34 M (+0.4 %).
struct PredictionLayer: Layer {
    let convolution: Conv2D
    let output: HeadOutput

    init(name: String, inputChannels: Int, outputChannels: Int, output: HeadOutput) {
        convolution = Conv2D(name: "\(name).conv", inputChannels: inputChannels, outputChannels: outputChannels, kernelSize: 1)
        self.output = output
    }

    func initialParameters(generator: inout SeededGenerator) -> Parameters { convolution.initialParameters(generator: &generator) }

    func callAsFunction(_ input: Tensor, _ context: ForwardContext) -> Tensor { output.apply(convolution(input, context)) }
}
