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
        for layer in 0..<specification.layers {
            // A unit followed by another keeps its output blocked for it; the block's last feeds the pooling.
            layers.append(ConvBatchNormReLU(name: "shared.encoder.block\(block).layer\(layer)",
                                            inputChannels: channels, outputChannels: output,
                                            output: layer < specification.layers - 1 ? .blocked : .standard))
            channels = output
        }
        if poolAfterLast || block < blocks.count - 1 { layers.append(MaxPool2D(size: 2)) }
    }
    return (layers, channels)
}
