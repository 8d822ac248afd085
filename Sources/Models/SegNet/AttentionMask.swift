import TandemCore

/// One of MTAN's task-specific soft-attention modules (the code's `att_layer`): a mask in (0, 1)
/// computed from the shared features the module reads,
///
///     mask = σ(BN(conv₁ₓ₁(ReLU(BN(conv₁ₓ₁(input))))))
///
/// with `input → middle → output` channels. Parameters at the reference's `nn.Sequential`
/// positions: `NAME.0` and `NAME.3` (convolutions with bias), `NAME.1` and `NAME.4` (batch norms).
/// Liu, Johns, Davison, "End-to-End Multi-Task Learning with Attention", CVPR 2019.
struct AttentionMask: Layer {
    let first: Conv2D, firstNormalisation: BatchNorm2D
    let second: Conv2D, secondNormalisation: BatchNorm2D

    init(name: String, inputChannels: Int, middleChannels: Int, outputChannels: Int) {
        first = Conv2D(name: "\(name).0", inputChannels: inputChannels, outputChannels: middleChannels, kernelSize: 1)
        firstNormalisation = BatchNorm2D(name: "\(name).1", channels: middleChannels)
        second = Conv2D(name: "\(name).3", inputChannels: middleChannels, outputChannels: outputChannels, kernelSize: 1)
        secondNormalisation = BatchNorm2D(name: "\(name).4", channels: outputChannels)
    }

    func initialParameters(generator: inout SeededGenerator) -> Parameters {
        var parameters = xavierNormal(first, generator: &generator)
        parameters = parameters.merging(firstNormalisation.initialParameters(generator: &generator))
        parameters = parameters.merging(xavierNormal(second, generator: &generator))
        return parameters.merging(secondNormalisation.initialParameters(generator: &generator))
    }

    func initialBuffers() -> Parameters { firstNormalisation.initialBuffers().merging(secondNormalisation.initialBuffers()) }

    func callAsFunction(_ input: Tensor, _ context: ForwardContext) -> Tensor {
        let hidden = firstNormalisation(first(input, context), context, followedByReLU: true)
        return sigmoid(secondNormalisation(second(hidden, context), context))
    }
}
