import TandemCore

/// A dense-prediction output of a split model: a task name and the channels its head predicts.
public struct DenseTaskHead: Equatable, Sendable {
    public var task: String
    public var channels: Int

    public init(task: String, channels: Int) {
        self.task = task
        self.channels = channels
    }
}

/// The shared skeleton of SplitVGG-x and SplitRes-x: an encoder, five up-sampling decoder blocks,
/// of which the first 5 − x are shared and the last x (plus a prediction layer) are copied per
/// task. z is the output of the shared part.
struct DenseSplitModel {
    let encoder: Sequential
    let decoder: UpsamplingDecoder
    let split: Int
    let heads: [DenseTaskHead]
    let sharedDecoder: [Sequential]
    let taskLayers: [String: Sequential]

    init(encoder: Sequential, decoder: UpsamplingDecoder, split: Int, heads: [DenseTaskHead]) {
        precondition((1...5).contains(split), "the split x must be 1…5, got \(split)")
        precondition(!heads.isEmpty, "a split model needs at least one task head")
        self.encoder = encoder
        self.decoder = decoder
        self.split = split
        self.heads = heads
        sharedDecoder = (0..<(5 - split)).map { decoder.block($0, prefix: "shared.decoder.block\($0)") }
        var layers: [String: Sequential] = [:]
        for head in heads {
            var blocks: [any Layer] = ((5 - split)..<5).map { decoder.block($0, prefix: "heads.\(head.task).decoder.block\($0)") }
            blocks.append(PredictionLayer(name: "heads.\(head.task).prediction", inputChannels: decoder.blocks[4].output,
                                          outputChannels: head.channels))
            layers[head.task] = Sequential(blocks)
        }
        taskLayers = layers
    }

    var taskNames: [String] { heads.map(\.task) }

    func initialParameters(generator: inout SeededGenerator) -> Parameters {
        var p = encoder.initialParameters(generator: &generator)
        for block in sharedDecoder { p = p.merging(block.initialParameters(generator: &generator)) }
        for head in heads { p = p.merging(taskLayers[head.task]!.initialParameters(generator: &generator)) }
        return p
    }

    func initialBuffers() -> Parameters {
        var b = encoder.initialBuffers()
        for block in sharedDecoder { b = b.merging(block.initialBuffers()) }
        for head in heads { b = b.merging(taskLayers[head.task]!.initialBuffers()) }
        return b
    }

    func encode(_ input: Tensor, _ context: ForwardContext) -> Tensor {
        precondition(input.rank == 4 && input.shape[2] % 32 == 0 && input.shape[3] % 32 == 0,
                     "split models need N×C×H×W input with H and W divisible by 32, got \(input.shape)")
        return sharedDecoder.reduce(encoder(input, context)) { $1($0, context) }
    }

    func head(_ task: String, _ representation: Tensor, _ context: ForwardContext) -> Tensor {
        guard let layers = taskLayers[task] else { preconditionFailure("no head '\(task)'; tasks: \(taskNames)") }
        return layers(representation, context)
    }
}
