import TandemCore

/// Bias-free 3×3 convolution → batch norm → ReLU, the unit the split models are built from
/// (parameters `NAME.conv.weight`, `NAME.bn.scale`, `NAME.bn.shift`; buffers the batch norm's
/// running statistics).
///
/// With `upsampling` the convolution is a 3×3 transposed convolution with stride 2, padding 1 and
/// output padding 1, which doubles height and width; otherwise it is a 3×3 convolution with
/// padding 1, which keeps them.
struct ConvBatchNormReLU: Layer {
    let convolution: any Layer
    let normalisation: BatchNorm2D

    init(name: String, inputChannels: Int, outputChannels: Int, upsampling: Bool = false) {
        if upsampling {
            convolution = ConvTranspose2D(name: "\(name).conv", inputChannels: inputChannels, outputChannels: outputChannels,
                                          kernelSize: 3, stride: 2, padding: 1, outputPadding: 1, bias: false)
        } else {
            convolution = Conv2D(name: "\(name).conv", inputChannels: inputChannels, outputChannels: outputChannels,
                                 kernelSize: 3, padding: 1, bias: false)
        }
        normalisation = BatchNorm2D(name: "\(name).bn", channels: outputChannels)
    }

    func initialParameters(generator: inout SeededGenerator) -> Parameters {
        convolution.initialParameters(generator: &generator).merging(normalisation.initialParameters(generator: &generator))
    }

    func initialBuffers() -> Parameters { normalisation.initialBuffers() }

    func callAsFunction(_ input: Tensor, _ context: ForwardContext) -> Tensor {
        normalisation(convolution(input, context), context, followedByReLU: true)
    }
}
