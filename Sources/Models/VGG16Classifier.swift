import TandemCore

/// VGG-16 with hard parameter sharing for multi-domain classification (the CIFAR-100 20-domain
/// setting of Auto-λ and of the IAL paper's Table VII): the 13 convolution layers of VGG-16 are the
/// shared encoder, and every task has its own linear classifier.
///
/// * Encoder (`shared.encoder.blockB.layerL`): blocks of 2, 2, 3, 3, 3 layers with 64, 128, 256,
///   512, 512 channels, each layer a bias-free conv3×3 (padding 1) → batch norm → ReLU; 2×2
///   max-pooling after each of the first four blocks (none after the fifth), then a global average
///   over the remaining positions. z is N × 512 (at width 1): for 32×32 inputs the last block works
///   at 2×2.
/// * Heads (`heads.TASK.linear`): one linear layer with bias, 512 → the task's classes (5 per
///   CIFAR-100 domain).
///
/// Choices where the reference model differs: the reference (Auto-λ's `MTLVGG16`) gives each
/// domain its own batch-norm statistics and scales ("conditional" batch norm, possible there
/// because every step feeds each domain its own sub-batch). Here batch norm is **shared** by all
/// tasks — one `BatchNorm2D` per layer, part of the shared encoder — since a Tandem batch mixes the
/// domains' images; the convolutions have no bias because the batch norm's shift replaces it.
/// Everything in the encoder is therefore shared, which is the hard-sharing model of the IAL paper.
///
/// At width 1 with 20 five-way heads: 14,718,912 encoder parameters (convolution weights,
/// batch-norm scale and shift) and 20 × 2,565 head parameters. `width` multiplies every channel
/// count (rounded, at least 1), so tests run it tiny. Inputs: N×`inputChannels`×H×W with H and W
/// multiples of 16.
public struct VGG16Classifier: MultiTaskModel {
    public let heads: [(task: String, classes: Int)]
    public let width: Double
    public let inputChannels: Int
    /// Channels of z (512 at width 1).
    public let representationSize: Int
    let encoder: Sequential
    let classifiers: [String: Linear]

    /// Blocks of the encoder at width 1: (layers, channels); 2×2 max-pooling follows all but the last.
    static let blocks: [(layers: Int, channels: Int)] = [(2, 64), (2, 128), (3, 256), (3, 512), (3, 512)]

    /// - Parameters:
    ///   - heads: the tasks and their class counts, in order; names must be distinct.
    ///   - width: channel multiplier (1 is VGG-16; 0.125 for quick runs).
    ///   - inputChannels: channels of the input images (3 for RGB).
    public init(heads: [(task: String, classes: Int)], width: Double = 1, inputChannels: Int = 3) {
        precondition(width > 0, "width must be positive, got \(width)")
        precondition(!heads.isEmpty, "VGG16Classifier needs at least one head")
        precondition(Set(heads.map(\.task)).count == heads.count, "task names must be distinct, got \(heads.map(\.task))")
        self.heads = heads
        self.width = width
        self.inputChannels = inputChannels
        let (layers, channels) = vggEncoderLayers(Self.blocks, width: width, inputChannels: inputChannels, poolAfterLast: false)
        encoder = Sequential(layers)
        representationSize = channels
        var classifiers: [String: Linear] = [:]
        for head in heads {
            classifiers[head.task] = Linear(name: "heads.\(head.task).linear", inputSize: channels, outputSize: head.classes)
        }
        self.classifiers = classifiers
    }

    public var taskNames: [String] { heads.map(\.task) }

    public func initialParameters(generator: inout SeededGenerator) -> Parameters {
        var parameters = encoder.initialParameters(generator: &generator)
        for head in heads { parameters = parameters.merging(classifiers[head.task]!.initialParameters(generator: &generator)) }
        return parameters
    }

    public func initialBuffers() -> Parameters { encoder.initialBuffers() }

    /// z: the encoder's feature maps averaged over height and width, N × `representationSize`.
    public func encode(_ input: Tensor, _ context: ForwardContext) -> Tensor {
        precondition(input.rank == 4 && input.shape[1] == inputChannels && input.shape[2] % 16 == 0 && input.shape[3] % 16 == 0
                     && input.shape[2] > 0 && input.shape[3] > 0,
                     "VGG16Classifier expects N×\(inputChannels)×H×W with H and W multiples of 16, got \(input.shape)")
        return encoder(input, context).mean(axes: [2, 3])
    }

    public func head(_ task: String, _ representation: Tensor, _ context: ForwardContext) -> Tensor {
        guard let classifier = classifiers[task] else { preconditionFailure("VGG16Classifier has no head '\(task)'; tasks: \(taskNames)") }
        return classifier(representation, context)
    }
}
