import TandemCore

/// Bias-free 3×3 convolution → batch norm → ReLU, the unit the split models are built from
/// (parameters `NAME.conv.weight`, `NAME.bn.scale`, `NAME.bn.shift`; buffers the batch norm's
/// running statistics).
///
/// With `upsampling` the convolution is a 3×3 transposed convolution with stride 2, padding 1 and
/// output padding 1, which doubles height and width; otherwise it is a 3×3 convolution with
/// padding 1, which keeps them.
///
/// In training the convolution leaves its output in its kernel's channel-blocked layout for the
/// batch norm, and `output: .blocked` keeps the unit's output there for a next unit (see
/// `OutputLayout`; the numbers are the same in every layout).
struct ConvBatchNormReLU: Layer {
    let convolution: Conv2D?
    let upsamplingConvolution: ConvTranspose2D?
    let normalisation: BatchNorm2D
    let output: OutputLayout

    init(name: String, inputChannels: Int, outputChannels: Int, upsampling: Bool = false, output: OutputLayout = .standard) {
        if upsampling {
            convolution = nil
            upsamplingConvolution = ConvTranspose2D(name: "\(name).conv", inputChannels: inputChannels, outputChannels: outputChannels,
                                                    kernelSize: 3, stride: 2, padding: 1, outputPadding: 1, bias: false)
        } else {
            convolution = Conv2D(name: "\(name).conv", inputChannels: inputChannels, outputChannels: outputChannels,
                                 kernelSize: 3, padding: 1, bias: false)
            upsamplingConvolution = nil
        }
        normalisation = BatchNorm2D(name: "\(name).bn", channels: outputChannels)
        self.output = output
    }

    func initialParameters(generator: inout SeededGenerator) -> Parameters {
        let weights = convolution?.initialParameters(generator: &generator)
            ?? upsamplingConvolution!.initialParameters(generator: &generator)
        return weights.merging(normalisation.initialParameters(generator: &generator))
    }

    func initialBuffers() -> Parameters { normalisation.initialBuffers() }

    func callAsFunction(_ input: Tensor, _ context: ForwardContext) -> Tensor {
        let convolved = context.isTraining ? OutputLayout.blocked : .standard
        let features = convolution?(input, context, output: convolved)
            ?? upsamplingConvolution!(input, context, output: convolved)
        return normalisation(features, context, followedByReLU: true, output: output)
    }
}
