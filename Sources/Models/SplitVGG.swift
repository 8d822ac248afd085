import TandemCore

/// SplitVGG-x (TMT paper supplement): a VGG-16-topology encoder at half width and a mirrored
/// up-sampling decoder whose last x blocks are copied per task.
///
/// * Encoder: blocks of 2, 2, 3, 3, 3 layers with 32, 64, 128, 256, 256 channels, each layer a
///   bias-free conv3×3 (padding 1) → batch norm → ReLU, each block followed by 2×2 max-pooling;
///   output at 1/32 of the input resolution.
/// * Decoder: 5 blocks of 3, 3, 3, 2, 2 layers working at 256, 256, 128, 64, 32 channels. A
///   block's first layer is a bias-free transposed conv3×3 (stride 2, padding 1, output padding 1)
///   that doubles the resolution, its last maps to the next block's width: the blocks output 256,
///   128, 64, 32, 32 channels.
/// * Per task a prediction layer: 1×1 convolution with bias, 32 → the task's channels, then the
///   head's output kind (unit normalisation for normals).
/// * Split x ∈ 1…5: the encoder and decoder blocks 0 … 4 − x are shared; blocks 5 − x … 4 and
///   the prediction layer are per task. z is at 1/2ˣ of the input resolution, with 32, 64, 128,
///   256, 256 channels for x = 1 … 5 (SplitVGG-3: 128 channels at 1/8; SplitVGG-5: the encoder
///   output).
///
/// At width 1 with one 13-channel head: 7,372,877 parameters (convolution weights, batch-norm
/// scale and shift, prediction bias; the paper: 7.34 M). `width` multiplies every channel count
/// (rounded, at least 1). Inputs: N×`inputChannels`×H×W with H and W multiples of 32.
///
/// *Not in the paper*: `blocks` B < 5 keeps the first B encoder blocks and the last B decoder
/// blocks (the same mirror, B down- and B up-samplings), so z and the bottleneck keep a spatial
/// extent on small images: at 32×32 the paper's model squeezes every image into a 1×1 code, with
/// B = 3 it is 4×4. Split x must then be ≤ B; inputs need H and W multiples of 2ᴮ.
///
/// SplitVGG-3 for the NYUv2 task triple:
/// ```swift
/// let model = SplitVGG(split: 3, heads: [
///     DenseTaskHead(task: "segmentation", channels: 13),
///     DenseTaskHead(task: "depth", channels: 1),
///     DenseTaskHead(task: "normals", channels: 3, output: .unitNormalised)])
/// ```
public struct SplitVGG: MultiTaskModel {
    public let split: Int
    public let width: Double
    public let inputChannels: Int
    /// B, the encoder and decoder blocks kept (5: the paper's model).
    public let blocks: Int
    public var heads: [DenseTaskHead] { skeleton.heads }
    let skeleton: DenseSplitModel

    /// Encoder blocks: (layers, channels) at width 1.
    static let encoderBlocks: [(layers: Int, channels: Int)] = [(2, 32), (2, 64), (3, 128), (3, 256), (3, 256)]
    /// Decoder blocks at width 1.
    static let decoderBlocks = [
        DecoderBlockSpecification(layers: 3, workingChannels: 256, outputChannels: 256),
        DecoderBlockSpecification(layers: 3, workingChannels: 256, outputChannels: 128),
        DecoderBlockSpecification(layers: 3, workingChannels: 128, outputChannels: 64),
        DecoderBlockSpecification(layers: 2, workingChannels: 64, outputChannels: 32),
        DecoderBlockSpecification(layers: 2, workingChannels: 32, outputChannels: 32),
    ]

    /// - Parameters:
    ///   - split: x, how many decoder blocks (from the end) each task gets its own copy of, 1…`blocks`.
    ///   - heads: the tasks, in order; their names must be distinct.
    ///   - width: channel multiplier (1 is the paper's model; 0.25 for quick runs).
    ///   - inputChannels: channels of the input images (3 for RGB).
    ///   - blocks: B, encoder (and decoder) blocks kept, 1…5 (5 is the paper's model).
    public init(split: Int, heads: [DenseTaskHead], width: Double = 1, inputChannels: Int = 3, blocks: Int = 5) {
        precondition(width > 0, "width must be positive, got \(width)")
        precondition((1...5).contains(blocks), "blocks must be 1…5, got \(blocks)")
        precondition((1...blocks).contains(split), "the split x must be 1…\(blocks) (blocks), got \(split)")
        self.split = split
        self.width = width
        self.inputChannels = inputChannels
        self.blocks = blocks
        let (layers, channels) = vggEncoderLayers(Array(SplitVGG.encoderBlocks.prefix(blocks)), width: width,
                                                  inputChannels: inputChannels, poolAfterLast: true)
        let decoder = UpsamplingDecoder(
            blocks: SplitVGG.decoderBlocks.suffix(blocks).map { $0.scaled(width: width) },
            inputChannels: channels)
        skeleton = DenseSplitModel(encoder: Sequential(layers), encoderOutputChannels: channels, decoder: decoder,
                                   split: split, heads: heads)
    }

    public var taskNames: [String] { skeleton.taskNames }

    /// The shape of z for an N×C×H×W input: N × channels × H/2ˣ × W/2ˣ, the channels 32, 64, 128,
    /// 256, 256 for x = 1…5 at B = 5 (scaled by the width; with B < 5, those of the kept blocks).
    public func representationShape(inputShape: [Int]) -> [Int] { skeleton.representationShape(inputShape: inputShape) }

    public func initialParameters(generator: inout SeededGenerator) -> Parameters { skeleton.initialParameters(generator: &generator) }
    public func initialBuffers() -> Parameters { skeleton.initialBuffers() }
    public func encode(_ input: Tensor, _ context: ForwardContext) -> Tensor { skeleton.encode(input, context) }
    public func head(_ task: String, _ representation: Tensor, _ context: ForwardContext) -> Tensor {
        skeleton.head(task, representation, context)
    }
}
