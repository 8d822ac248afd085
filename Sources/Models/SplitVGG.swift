import TandemCore

/// SplitVGG-x (TMT paper supplement): a VGG-16-topology encoder at half width — blocks of 2, 2,
/// 3, 3, 3 bias-free conv3×3–BN–ReLU layers with 32, 64, 128, 256, 256 channels, each followed by
/// 2×2 max-pooling — and a mirrored decoder of 5 blocks of 3, 3, 3, 2, 2 layers working at 256,
/// 256, 128, 64, 32 channels whose first layer is a stride-2 transposed conv3×3 (up-sampling) and
/// whose last maps to the next block's width (outputs 256, 128, 64, 32, 32), then a 1×1
/// prediction convolution per task.
///
/// The last x decoder blocks (and the prediction layer) are copied per task; the encoder and the
/// first 5 − x decoder blocks are shared. SplitVGG-3 splits at a 128-channel tensor at 1/8 of the
/// input resolution; SplitVGG-5 right after the encoder. Width 1 with one head: 7.37 M parameters
/// (the paper: 7.34 M). `width` scales every channel count (e.g. 0.25 for quick runs). Inputs:
/// 3×H×W with H and W divisible by 32.
public struct SplitVGG: MultiTaskModel {
    public let split: Int
    public let width: Double
    let skeleton: DenseSplitModel

    public init(split: Int, heads: [DenseTaskHead], width: Double = 1, inputChannels: Int = 3) {
        precondition(width > 0, "width must be positive")
        self.split = split
        self.width = width
        var layers: [any Layer] = []
        var channels = inputChannels
        for (block, (count, base)) in [(2, 32), (2, 64), (3, 128), (3, 256), (3, 256)].enumerated() {
            for layer in 0..<count {
                let out = scaled(base, width)
                layers.append(ConvBatchNormReLU(name: "shared.encoder.block\(block).layer\(layer)", inputChannels: channels, outputChannels: out))
                channels = out
            }
            layers.append(MaxPool2D(size: 2))
        }
        let decoder = UpsamplingDecoder(
            blocks: zip(zip([3, 3, 3, 2, 2], [256, 256, 128, 64, 32]), [256, 128, 64, 32, 32]).map {
                (layers: $0.0, working: scaled($0.1, width), output: scaled($1, width))
            },
            inputChannels: channels)
        skeleton = DenseSplitModel(encoder: Sequential(layers), decoder: decoder, split: split, heads: heads)
    }

    public var taskNames: [String] { skeleton.taskNames }
    public func initialParameters(generator: inout SeededGenerator) -> Parameters { skeleton.initialParameters(generator: &generator) }
    public func initialBuffers() -> Parameters { skeleton.initialBuffers() }
    public func encode(_ input: Tensor, _ context: ForwardContext) -> Tensor { skeleton.encode(input, context) }
    public func head(_ task: String, _ representation: Tensor, _ context: ForwardContext) -> Tensor {
        skeleton.head(task, representation, context)
    }
}
