import TandemCore

/// The VGG convolution stack shared by SplitVGG and VGG-16: per block, `layers` conv3×3–BN–ReLU
/// units at `channels` (scaled by `width`), named `shared.encoder.block{b}.layer{l}`, each block
/// followed by a 2×2 max-pool unless `poolAfterLast` is false for the last one.
/// Returns the layers and the channels of the last unit.
func vggEncoderLayers(_ blocks: [(layers: Int, channels: Int)], width: Double, inputChannels: Int,
                      poolAfterLast: Bool) -> (layers: [any Layer], outputChannels: Int) {
    var layers: [any Layer] = []
    var channels = inputChannels
    for (block, specification) in blocks.enumerated() {
        let output = scaledChannels(specification.channels, width: width)
        let pooled = poolAfterLast || block < blocks.count - 1, lastBlock = block == blocks.count - 1
        for layer in 0..<specification.layers {
            // Activations stay blocked from unit to unit, through the pooling, into the next
            // block; what leaves the stack (its last unit's or pooling's output) is N×C×H×W.
            let last = layer == specification.layers - 1
            layers.append(ConvBatchNormReLU(name: "shared.encoder.block\(block).layer\(layer)",
                                            inputChannels: channels, outputChannels: output,
                                            output: !last || pooled ? .blocked : .standard))
            channels = output
        }
        if pooled { layers.append(MaxPool2D(size: 2, output: lastBlock ? .standard : .blocked)) }
    }
    return (layers, channels)
}
