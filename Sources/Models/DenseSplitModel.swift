import TandemCore

/// The skeleton SplitVGG-x and SplitRes-x share: an encoder with B down-samplings (B = 5 in the
/// paper's models: 1/32 of the input resolution), and B up-sampling decoder blocks of which the
/// first B − x are shared and the last x (plus a prediction layer) are copied per task.
///
/// z, the output of the shared part, is the encoder output for x = B and the output of decoder
/// block B − 1 − x otherwise: at 1/2ˣ of the input resolution. Parameter names:
/// `shared.encoder.…`, `shared.decoder.blockJ.…` (J < B − x), `heads.TASK.decoder.blockJ.…`
/// (J ≥ B − x) and `heads.TASK.prediction.conv.…`.
struct DenseSplitModel {
    let encoder: Sequential
    let encoderOutputChannels: Int
    let decoder: UpsamplingDecoder
    let split: Int
    let heads: [DenseTaskHead]
    let sharedDecoder: [Sequential]
    let taskLayers: [String: Sequential]

    init(encoder: Sequential, encoderOutputChannels: Int, decoder: UpsamplingDecoder, split: Int, heads: [DenseTaskHead]) {
        precondition((1...decoder.blocks.count).contains(split), "the split x must be 1…\(decoder.blocks.count), got \(split)")
        precondition(!heads.isEmpty, "a split model needs at least one task head")
        precondition(Set(heads.map(\.task)).count == heads.count, "task names must be distinct, got \(heads.map(\.task))")
        precondition(decoder.inputChannels == encoderOutputChannels, "the decoder must read the encoder's output")
        self.encoder = encoder
        self.encoderOutputChannels = encoderOutputChannels
        self.decoder = decoder
        self.split = split
        self.heads = heads
        let blockCount = decoder.blocks.count
        let firstTaskBlock = blockCount - split
        sharedDecoder = (0..<firstTaskBlock).map { decoder.block($0, prefix: "shared.decoder.block\($0)") }
        var layers: [String: Sequential] = [:]
        for head in heads {
            var blocks: [any Layer] = (firstTaskBlock..<blockCount).map { decoder.block($0, prefix: "heads.\(head.task).decoder.block\($0)") }
            blocks.append(PredictionLayer(name: "heads.\(head.task).prediction", inputChannels: decoder.blocks[blockCount - 1].outputChannels,
                                          outputChannels: head.channels, output: head.output))
            layers[head.task] = Sequential(blocks)
        }
        taskLayers = layers
    }

    var taskNames: [String] { heads.map(\.task) }

    /// B, the number of down-sampling (and of up-sampling) blocks.
    var blockCount: Int { decoder.blocks.count }

    /// Channels of z.
    var representationChannels: Int { split == blockCount ? encoderOutputChannels : decoder.blocks[blockCount - 1 - split].outputChannels }

    /// The shape of z for an N×C×H×W input.
    func representationShape(inputShape: [Int]) -> [Int] {
        validate(inputShape: inputShape)
        let factor = 1 << split
        return [inputShape[0], representationChannels, inputShape[2] / factor, inputShape[3] / factor]
    }

    func initialParameters(generator: inout SeededGenerator) -> Parameters {
        var parameters = encoder.initialParameters(generator: &generator)
        for block in sharedDecoder { parameters = parameters.merging(block.initialParameters(generator: &generator)) }
        for head in heads { parameters = parameters.merging(taskLayers[head.task]!.initialParameters(generator: &generator)) }
        return parameters
    }

    func initialBuffers() -> Parameters {
        var buffers = encoder.initialBuffers()
        for block in sharedDecoder { buffers = buffers.merging(block.initialBuffers()) }
        for head in heads { buffers = buffers.merging(taskLayers[head.task]!.initialBuffers()) }
        return buffers
    }

    func encode(_ input: Tensor, _ context: ForwardContext) -> Tensor {
        validate(inputShape: input.shape)
        return sharedDecoder.reduce(encoder(input, context)) { $1($0, context) }
    }

    func head(_ task: String, _ representation: Tensor, _ context: ForwardContext) -> Tensor {
        guard let layers = taskLayers[task] else { preconditionFailure("no head '\(task)'; tasks: \(taskNames)") }
        return layers(representation, context)
    }

    private func validate(inputShape: [Int]) {
        let multiple = 1 << blockCount
        precondition(inputShape.count == 4 && inputShape[2] % multiple == 0 && inputShape[3] % multiple == 0 && inputShape[2] > 0 && inputShape[3] > 0,
                     "this split model needs N×C×H×W input with H and W positive multiples of \(multiple), got \(inputShape)")
    }
}
