import TandemCore

/// ResNet's basic block: relu(BN(conv3×3(relu(BN(conv3×3(x))))) + shortcut(x)), all convolutions
/// bias-free. The first convolution carries the block's stride; the shortcut is the identity, or a
/// bias-free 1×1 convolution (with the stride) → BN when the stride or the width changes.
///
/// Parameters `NAME.conv0`, `NAME.bn0`, `NAME.conv1`, `NAME.bn1` and, with a projection shortcut,
/// `NAME.shortcut.conv`, `NAME.shortcut.bn`; with `.torchVision` naming torchvision's (and
/// LibMTL's) `conv1`, `bn1`, `conv2`, `bn2`, `downsample.0`, `downsample.1`.
struct BasicResidualBlock: Layer {
    enum Naming { case tandem, torchVision }

    let first: Conv2D
    let firstNormalisation: BatchNorm2D
    let second: Conv2D
    let secondNormalisation: BatchNorm2D
    let shortcut: (convolution: Conv2D, normalisation: BatchNorm2D)?

    /// `projection`: whether the shortcut is a 1×1 convolution → BN (default: when the stride or
    /// the width changes).
    init(name: String, inputChannels: Int, outputChannels: Int, stride: Int, naming: Naming = .tandem, projection: Bool? = nil) {
        let names = naming == .tandem ? ["conv0", "bn0", "conv1", "bn1", "shortcut.conv", "shortcut.bn"]
            : ["conv1", "bn1", "conv2", "bn2", "downsample.0", "downsample.1"]
        first = Conv2D(name: "\(name).\(names[0])", inputChannels: inputChannels, outputChannels: outputChannels, kernelSize: 3,
                       stride: stride, padding: 1, bias: false)
        firstNormalisation = BatchNorm2D(name: "\(name).\(names[1])", channels: outputChannels)
        second = Conv2D(name: "\(name).\(names[2])", inputChannels: outputChannels, outputChannels: outputChannels, kernelSize: 3,
                        padding: 1, bias: false)
        secondNormalisation = BatchNorm2D(name: "\(name).\(names[3])", channels: outputChannels)
        if projection ?? (stride != 1 || inputChannels != outputChannels) {
            shortcut = (Conv2D(name: "\(name).\(names[4])", inputChannels: inputChannels, outputChannels: outputChannels,
                               kernelSize: 1, stride: stride, bias: false),
                        BatchNorm2D(name: "\(name).\(names[5])", channels: outputChannels))
        } else {
            shortcut = nil
        }
    }

    func initialParameters(generator: inout SeededGenerator) -> Parameters {
        var parameters = first.initialParameters(generator: &generator)
        parameters = parameters.merging(firstNormalisation.initialParameters(generator: &generator))
        parameters = parameters.merging(second.initialParameters(generator: &generator))
        parameters = parameters.merging(secondNormalisation.initialParameters(generator: &generator))
        if let shortcut {
            parameters = parameters.merging(shortcut.convolution.initialParameters(generator: &generator))
            parameters = parameters.merging(shortcut.normalisation.initialParameters(generator: &generator))
        }
        return parameters
    }

    func initialBuffers() -> Parameters {
        var buffers = firstNormalisation.initialBuffers().merging(secondNormalisation.initialBuffers())
        if let shortcut { buffers = buffers.merging(shortcut.normalisation.initialBuffers()) }
        return buffers
    }

    func callAsFunction(_ input: Tensor, _ context: ForwardContext) -> Tensor {
        let hidden = firstNormalisation(first(input, context), context, followedByReLU: true)
        let residual = secondNormalisation(second(hidden, context), context)
        let skip = shortcut.map { $0.normalisation($0.convolution(input, context), context) } ?? input
        return relu(residual + skip)
    }
}
