import TandemCore

/// SplitRes-x (TMT paper supplement): a ResNet-18-topology encoder and an up-sampling decoder like
/// SplitVGG's, whose last x blocks are copied per task. The paper leaves details open; the choices
/// made here are marked *choice*.
///
/// * Encoder, ResNet-18 topology at channels 32, 32, 64, 128, 256: a stem (bias-free conv7×7,
///   stride 2, padding 3, 32 channels → BN → ReLU → 2×2 max-pool) and 4 stages of 2
///   `BasicResidualBlock`s at 32, 64, 128, 256 channels. Stages 2–4 start with stride 2 and a
///   1×1 conv–BN projection shortcut. Output at 1/32 of the input resolution. *Choice*: a 2×2
///   max-pool (not ResNet's 3×3, stride 2, padding 1 one) so every resolution halves exactly.
/// * Decoder, 5 blocks of bias-free Conv–BN–ReLU layers like SplitVGG's (the first a stride-2
///   transposed conv3×3 that doubles the resolution, the last mapping to the block's output width)
///   outputting 128, 128, 64, 32, 32 channels. *Choice*: each block works at its input width (256,
///   128, 128, 64, 32), and the blocks have 4, 3, 3, 2, 2 layers — one more in the first block than
///   SplitVGG's pattern, because with 3, 3, 3, 2, 2 layers the one-head count would be 5.16 M
///   (−8 % from the paper's 5.62 M) and with 4, 3, 3, 2, 2 it is 5.75 M (+2.3 %).
/// * Per task a prediction layer: 1×1 convolution with bias, 32 → the task's channels, then the
///   head's output kind.
/// * Split x ∈ 1…5 as in SplitVGG-x: z is at 1/2ˣ of the input resolution with 32, 64, 128, 128,
///   256 channels for x = 1 … 5 (SplitRes-5: the encoder output).
///
/// At width 1 with one 13-channel head: 5,751,949 parameters (convolution weights, batch-norm
/// scale and shift, prediction bias). `width` multiplies every channel count (rounded, at least
/// 1). Inputs: N×`inputChannels`×H×W with H and W multiples of 32.
public struct SplitRes: StagedEncoderModel {
    public let split: Int
    public let width: Double
    public let inputChannels: Int
    public var heads: [DenseTaskHead] { skeleton.heads }
    let skeleton: DenseSplitModel

    /// Channels of the stem and of the four stages at width 1.
    static let stemChannels = 32
    static let stageChannels = [32, 64, 128, 256]
    /// Decoder blocks at width 1.
    static let decoderBlocks = [
        DecoderBlockSpecification(layers: 4, workingChannels: 256, outputChannels: 128),
        DecoderBlockSpecification(layers: 3, workingChannels: 128, outputChannels: 128),
        DecoderBlockSpecification(layers: 3, workingChannels: 128, outputChannels: 64),
        DecoderBlockSpecification(layers: 2, workingChannels: 64, outputChannels: 32),
        DecoderBlockSpecification(layers: 2, workingChannels: 32, outputChannels: 32),
    ]

    /// - Parameters:
    ///   - split: x, how many decoder blocks (from the end) each task gets its own copy of, 1…5.
    ///   - heads: the tasks, in order; their names must be distinct.
    ///   - width: channel multiplier (1 is the paper's model; 0.25 for quick runs).
    ///   - inputChannels: channels of the input images (3 for RGB).
    public init(split: Int, heads: [DenseTaskHead], width: Double = 1, inputChannels: Int = 3) {
        precondition(width > 0, "width must be positive, got \(width)")
        self.split = split
        self.width = width
        self.inputChannels = inputChannels
        let encoder = SplitRes.encoder(prefix: "shared.encoder", width: width, inputChannels: inputChannels)
        let channels = encoder.stageChannels.last!
        let decoder = UpsamplingDecoder(
            blocks: SplitRes.decoderBlocks.map { $0.scaled(width: width) },
            inputChannels: channels)
        skeleton = DenseSplitModel(encoder: Sequential(encoder.layers), encoderOutputChannels: channels, decoder: decoder,
                                   split: split, heads: heads)
    }

    /// The ResNet-18-topology encoder with its parameters under `prefix`: the stem, then four
    /// stages of two blocks.
    static func encoder(prefix: String, width: Double, inputChannels: Int) -> EncoderStages {
        let stem = scaledChannels(SplitRes.stemChannels, width: width)
        var channels = stem
        var stages: [[any Layer]] = []
        for (stage, stageChannels) in SplitRes.stageChannels.enumerated() {
            let output = scaledChannels(stageChannels, width: width)
            stages.append((0..<2).map { block in
                let layer = BasicResidualBlock(name: "\(prefix).stage\(stage).block\(block)", inputChannels: block == 0 ? channels : output,
                                               outputChannels: output, stride: stage > 0 && block == 0 ? 2 : 1)
                return layer
            })
            channels = output
        }
        return EncoderStages(
            stem: [Conv2D(name: "\(prefix).stem.conv", inputChannels: inputChannels, outputChannels: stem, kernelSize: 7, stride: 2, padding: 3, bias: false),
                   BatchNorm2D(name: "\(prefix).stem.bn", channels: stem), ReLU(), MaxPool2D(size: 2)],
            stages: stages, stageChannels: SplitRes.stageChannels.map { scaledChannels($0, width: width) })
    }

    /// The shared part under `prefix` (its own is `shared`): the encoder's stages, and the shared
    /// decoder blocks (the first 5 − x) as the tail.
    public func encoderStages(prefix: String) -> EncoderStages {
        var stages = SplitRes.encoder(prefix: "\(prefix).encoder", width: width, inputChannels: inputChannels)
        stages.tail = (0..<skeleton.blockCount - split).map { skeleton.decoder.block($0, prefix: "\(prefix).decoder.block\($0)") }
        return stages
    }

    public var taskNames: [String] { skeleton.taskNames }

    /// The shape of z for an N×C×H×W input: N × (32, 64, 128, 128, 256 for x = 1…5, scaled) × H/2ˣ × W/2ˣ.
    public func representationShape(inputShape: [Int]) -> [Int] { skeleton.representationShape(inputShape: inputShape) }

    public func initialParameters(generator: inout SeededGenerator) -> Parameters { skeleton.initialParameters(generator: &generator) }
    public func initialBuffers() -> Parameters { skeleton.initialBuffers() }
    public func encode(_ input: Tensor, _ context: ForwardContext) -> Tensor { skeleton.encode(input, context) }
    public func head(_ task: String, _ representation: Tensor, _ context: ForwardContext) -> Tensor {
        skeleton.head(task, representation, context)
    }
}
