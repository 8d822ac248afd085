import TandemCore

/// ResNet with basic blocks (He et al., CVPR 2016) in torchvision's topology, as LibMTL's
/// `resnet18` builds it — the encoder its architectures (Cross-stitch, MTAN, PLE, LTB) are
/// written for — with a linear head per task on the globally average-pooled features:
///
///     conv7×7/2 → BN → ReLU → max-pool 3×3/2 (padding 1)          stem
///     layer1 … layer4: `blocks` basic blocks each at 64, 128, 256, 512 channels (stride 2 and a
///                      1×1 conv–BN projection at the start of layer2 … layer4)
///     head t: global average pool → linear → the task's outputs
///
/// z is layer4's output (N × 512 × H/32 × W/32 at width 1). `blocks` [2, 2, 2, 2] is ResNet-18
/// (11,176,512 encoder parameters), [3, 4, 6, 3] ResNet-34; `width` multiplies every channel
/// count. Parameter names are torchvision's under `shared.` (`shared.layer1.0.conv1.weight`),
/// heads `heads.TASK.fc`; `referenceName(of:)` gives LibMTL's HPS names (`encoder.…`,
/// `decoders.TASK.fc.…`). Initialisation is Tandem's (PyTorch's layer defaults), not
/// torchvision's Kaiming-normal.
public struct ResNet: StagedEncoderModel, ReferenceStateDictionary {
    public let heads: [(task: String, outputs: Int)]
    public let blocks: [Int]
    public let width: Double
    public let inputChannels: Int
    let encoder: EncoderStages
    let taskHeads: [String: Linear]

    /// Channels of the stem and of the four stages at width 1.
    static let stemChannels = 64
    static let stageChannels = [64, 128, 256, 512]

    public init(heads: [(task: String, outputs: Int)], blocks: [Int] = [2, 2, 2, 2], width: Double = 1, inputChannels: Int = 3) {
        precondition(!heads.isEmpty && Set(heads.map(\.task)).count == heads.count, "ResNet needs distinct task names, got \(heads.map(\.task))")
        precondition(blocks.count == 4 && blocks.allSatisfy { $0 >= 1 }, "ResNet needs four stages of at least one block, got \(blocks)")
        precondition(width > 0, "width must be positive, got \(width)")
        self.heads = heads
        self.blocks = blocks
        self.width = width
        self.inputChannels = inputChannels
        encoder = ResNet.encoderStages(prefix: "shared", blocks: blocks, width: width, inputChannels: inputChannels)
        let features = encoder.stageChannels.last!
        taskHeads = Dictionary(uniqueKeysWithValues: heads.map { ($0.task, Linear(name: "heads.\($0.task).fc", inputSize: features, outputSize: $0.outputs)) })
    }

    static func encoderStages(prefix: String, blocks: [Int], width: Double, inputChannels: Int) -> EncoderStages {
        let stem = scaledChannels(stemChannels, width: width)
        var channels = stem
        var stages: [[any Layer]] = []
        for (index, count) in blocks.enumerated() {
            let output = scaledChannels(stageChannels[index], width: width)
            stages.append((0..<count).map { block in
                let layer = BasicResidualBlock(name: "\(prefix).layer\(index + 1).\(block)", inputChannels: block == 0 ? channels : output,
                                               outputChannels: output, stride: index > 0 && block == 0 ? 2 : 1, naming: .torchVision)
                return layer
            })
            channels = output
        }
        return EncoderStages(
            stem: [Conv2D(name: "\(prefix).conv1", inputChannels: inputChannels, outputChannels: stem, kernelSize: 7, stride: 2, padding: 3, bias: false),
                   BatchNorm2D(name: "\(prefix).bn1", channels: stem), ReLU(), MaxPool2D(size: 3, stride: 2, padding: 1)],
            stages: stages, stageChannels: stages.indices.map { scaledChannels(stageChannels[$0], width: width) })
    }

    public var taskNames: [String] { heads.map(\.task) }

    public func encoderStages(prefix: String) -> EncoderStages {
        ResNet.encoderStages(prefix: prefix, blocks: blocks, width: width, inputChannels: inputChannels)
    }

    public func initialParameters(generator: inout SeededGenerator) -> Parameters {
        taskNames.reduce(encoder.initialParameters(generator: &generator)) { $0.merging(taskHeads[$1]!.initialParameters(generator: &generator)) }
    }

    public func initialBuffers() -> Parameters { encoder.initialBuffers() }

    public func encode(_ input: Tensor, _ context: ForwardContext) -> Tensor {
        precondition(input.rank == 4 && input.shape[1] == inputChannels, "ResNet needs N×\(inputChannels)×H×W input, got \(input.shape)")
        return encoder(input, context)
    }

    /// Global average pool → linear.
    public func head(_ task: String, _ representation: Tensor, _ context: ForwardContext) -> Tensor {
        guard let layer = taskHeads[task] else { preconditionFailure("no head '\(task)'; tasks: \(taskNames)") }
        return layer(representation.mean(axes: [2, 3]), context)
    }

    public func referenceName(of name: String) -> String? {
        if name.hasPrefix("shared.") { return pyTorchTensorName("encoder." + name.dropFirst("shared.".count)) }
        for task in taskNames where name.hasPrefix("heads.\(task).") {
            return pyTorchTensorName("decoders.\(task)." + name.dropFirst("heads.\(task).".count))
        }
        return nil
    }
}

/// A Tandem tensor path under PyTorch's names: batch-norm `scale`, `shift`, `runningMean`,
/// `runningVariance` are `weight`, `bias`, `running_mean`, `running_var`.
func pyTorchTensorName(_ path: String) -> String {
    for (tandem, pytorch) in [(".scale", ".weight"), (".shift", ".bias"), (".runningMean", ".running_mean"), (".runningVariance", ".running_var")]
    where path.hasSuffix(tandem) {
        return String(path.dropLast(tandem.count)) + pytorch
    }
    return path
}
