import TandemCore

/// Convolution (bias-free) → batch norm → ReLU, the unit the split models are built from.
/// With `upsampling` the convolution is a 3×3 transposed convolution with stride 2, padding 1 and
/// output padding 1, which doubles height and width.
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
        relu(normalisation(convolution(input, context), context))
    }
}

/// How a dense-prediction head ends: a 1×1 convolution with bias from the last decoder width to
/// the task's channels.
struct PredictionLayer: Layer {
    let convolution: Conv2D

    init(name: String, inputChannels: Int, outputChannels: Int) {
        convolution = Conv2D(name: "\(name).conv", inputChannels: inputChannels, outputChannels: outputChannels, kernelSize: 1)
    }

    func initialParameters(generator: inout SeededGenerator) -> Parameters { convolution.initialParameters(generator: &generator) }
    func callAsFunction(_ input: Tensor, _ context: ForwardContext) -> Tensor { convolution(input, context) }
}

/// Channel count at a width multiplier (at least 1).
func scaled(_ channels: Int, _ width: Double) -> Int { max(1, Int((Double(channels) * width).rounded())) }

/// The decoder of the split models: five up-sampling blocks. Block j's first layer is a transposed
/// convolution that doubles the resolution; its last layer maps to `outputs[j]`.
struct UpsamplingDecoder {
    /// Per block: (layer count, working width, output width), already scaled.
    let blocks: [(layers: Int, working: Int, output: Int)]
    let inputChannels: Int

    /// The layers of block `index`, named under `prefix` (e.g. `shared.decoder.block1`).
    func block(_ index: Int, prefix: String) -> Sequential {
        let spec = blocks[index]
        let input = index == 0 ? inputChannels : blocks[index - 1].output
        var layers: [any Layer] = []
        for layer in 0..<spec.layers {
            let from = layer == 0 ? input : spec.working
            let to = layer == spec.layers - 1 ? spec.output : spec.working
            layers.append(ConvBatchNormReLU(name: "\(prefix).layer\(layer)", inputChannels: from, outputChannels: to, upsampling: layer == 0))
        }
        return Sequential(layers)
    }
}
