import TandemCore

/// One block of an up-sampling decoder: how many Conv–BN–ReLU layers it has, the width its inner
/// layers work at, and the width its last layer maps to (channels already scaled by the width
/// multiplier).
struct DecoderBlockSpecification: Equatable {
    var layers: Int
    var workingChannels: Int
    var outputChannels: Int

    /// This block with both widths multiplied by `width` (see `scaledChannels`).
    func scaled(width: Double) -> DecoderBlockSpecification {
        DecoderBlockSpecification(layers: layers, workingChannels: scaledChannels(workingChannels, width: width),
                                  outputChannels: scaledChannels(outputChannels, width: width))
    }
}

/// The decoder of the split models: one up-sampling block per encoder down-sampling (five for the
/// paper's models), each doubling the resolution.
///
/// Block j has `layers` Conv–BN–ReLU units: the first a stride-2 transposed conv3×3 from the
/// previous block's output (or the encoder's) to the working width, the inner ones conv3×3 at the
/// working width, the last a conv3×3 to the block's output width. A one-layer block would go
/// straight from input to output width; the split models use two layers or more.
struct UpsamplingDecoder {
    let blocks: [DecoderBlockSpecification]
    /// Channels of the encoder output the first block reads.
    let inputChannels: Int

    init(blocks: [DecoderBlockSpecification], inputChannels: Int) {
        precondition((1...5).contains(blocks.count), "the split models' decoder has 1…5 blocks, got \(blocks.count)")
        precondition(blocks.allSatisfy { $0.layers >= 2 }, "every decoder block needs at least 2 layers")
        self.blocks = blocks
        self.inputChannels = inputChannels
    }

    /// Channels block `index` reads.
    func inputChannels(ofBlock index: Int) -> Int { index == 0 ? inputChannels : blocks[index - 1].outputChannels }

    /// The layers of block `index`, named `PREFIX.layerK` (e.g. `shared.decoder.block1.layer0`).
    func block(_ index: Int, prefix: String) -> Sequential {
        let specification = blocks[index]
        var layers: [any Layer] = []
        for layer in 0..<specification.layers {
            let from = layer == 0 ? inputChannels(ofBlock: index) : specification.workingChannels
            let to = layer == specification.layers - 1 ? specification.outputChannels : specification.workingChannels
            // Inside the block a unit keeps its output blocked for the next; the block's output is N×C×H×W.
            layers.append(ConvBatchNormReLU(name: "\(prefix).layer\(layer)", inputChannels: from, outputChannels: to,
                                            upsampling: layer == 0, output: layer < specification.layers - 1 ? .blocked : .standard))
        }
        return Sequential(layers)
    }
}
