import TandemCore

/// Multi-Task Attention Network (Liu, Johns, Davison, "End-to-End Multi-Task Learning with
/// Attention", CVPR 2019) around an encoder, as LibMTL 1.1.5 builds it on a ResNet: the encoder
/// shared, and per task a chain of soft-attention masks over each stage's features,
///
///     u_i = stage_i[: −1](v_{i−1}),  v_i = stage_i[−1](u_i)        v_{−1} = stem(x): the shared path
///     m_t⁰ = a_t⁰(u_0);  m_tⁱ = a_tⁱ([u_i, pool(â_tⁱ⁻¹)])            i ≥ 1 (pool: 2×2 max-pooling
///                                                                    while the resolutions differ)
///     â_tⁱ = f_i(m_tⁱ ⊙ v_i)   (i < S − 1),    â_t^{S−1} = m_t^{S−1} ⊙ v_{S−1} = z_t
///
/// a_tⁱ are the task's `AttentionMask`s (1×1 conv–BN–ReLU–1×1 conv–BN–sigmoid, C_i or 2C_i → C_i →
/// C_i channels), f_i a basic residual block C_i → C_{i+1} with a 1×1 conv–BN projection (the
/// `encoder_block_att`, one for all tasks). Every stage needs at least two blocks.
///
/// **Shared**: the encoder and the f_i blocks every task uses; each task's masks are its own
/// (`heads.TASK.architecture.encoder_att.I`). LibMTL's `get_share_params()` is the encoder alone:
/// there f_i, outside it, is trained by the plain sum of the task losses; Tandem's strategies
/// combine it like any parameter the tasks share.
public struct MTAN: MultiTaskModel, ReferenceStateDictionary {
    let heads: ArchitectureHeads
    let encoder: EncoderStages
    /// a_tⁱ by task.
    let masks: [String: [AttentionMask]]
    /// f_i, i = 0…S−2.
    let blocks: [BasicResidualBlock]

    public init(encoderModel: any StagedEncoderModel) {
        heads = ArchitectureHeads(encoderModel: encoderModel)
        encoder = encoderModel.encoderStages(prefix: "shared.encoder")
        precondition(encoder.tail.isEmpty, "MTAN needs an encoder that ends with its last stage")
        precondition(encoder.stages.allSatisfy { $0.count >= 2 }, "MTAN needs an encoder whose stages have at least two blocks each")
        let channels = encoder.stageChannels
        masks = Dictionary(uniqueKeysWithValues: encoderModel.taskNames.map { task in
            (task, channels.indices.map { i in
                AttentionMask(name: "heads.\(task).architecture.encoder_att.\(i)", inputChannels: i == 0 ? channels[0] : 2 * channels[i],
                              middleChannels: channels[i], outputChannels: channels[i])
            })
        })
        blocks = (0..<channels.count - 1).map { i in
            BasicResidualBlock(name: "shared.encoder.encoder_block_att.\(i)", inputChannels: channels[i], outputChannels: channels[i + 1],
                               stride: 1, naming: .torchVision, projection: true)
        }
    }

    public var taskNames: [String] { heads.taskNames }

    /// Why MTAN cannot run on `encoder` at one sample of `inputShape`, or nil: each stage's last
    /// block must keep its resolution (the mask multiplies its output), and 2×2 max-pooling of the
    /// previous attended features must reach each stage's resolution (LibMTL: sides that are
    /// multiples of 32 for a ResNet).
    public static func resolutionProblem(encoder: EncoderStages, inputShape: [Int]) -> String? {
        var previous: [Int]?
        for (i, stage) in encoder.probeShapes(inputShape: inputShape).stages.enumerated() {
            let size = Array(stage.beforeLast.dropFirst(2)), output = Array(stage.output.dropFirst(2))
            if size != output { return "stage \(i + 1)'s last block changes the resolution (\(size) → \(output))" }
            if var reached = previous {
                while reached[0] > size[0] && reached[1] > size[1] { reached = reached.map { $0 / 2 } }
                if reached != size { return "2×2 max-pooling of the attended \(previous!) features cannot reach stage \(i + 1)'s \(size) (use image sides that are multiples of 32)" }
            }
            previous = output
        }
        return nil
    }

    public func initialParameters(generator: inout SeededGenerator) -> Parameters {
        var parameters = encoder.initialParameters(generator: &generator)
        for task in taskNames {
            for mask in masks[task]! { parameters = parameters.merging(mask.initialParameters(generator: &generator)) }
        }
        parameters = blocks.reduce(parameters) { $0.merging($1.initialParameters(generator: &generator)) }
        return parameters.merging(heads.initialParameters(generator: &generator))
    }

    public func initialBuffers() -> Parameters {
        var buffers = encoder.initialBuffers().merging(heads.initialBuffers())
        for task in taskNames { buffers = masks[task]!.reduce(buffers) { $0.merging($1.initialBuffers()) } }
        return blocks.reduce(buffers) { $0.merging($1.initialBuffers()) }
    }

    public func encode(_ input: Tensor, _ context: ForwardContext) -> Tensor {
        var shared = encoder.runStem(input, context)
        var attended: [Tensor?] = taskNames.map { _ in nil }
        for i in encoder.stages.indices {
            let last = encoder.stages[i].count - 1
            let before = encoder.runStage(i, shared, context, blocks: 0..<last)
            shared = encoder.runStage(i, before, context, blocks: last..<last + 1)
            for (index, task) in taskNames.enumerated() {
                var maskInput = before
                if var previous = attended[index] {
                    while previous.shape[2] > before.shape[2] { previous = maxPool2d(previous, size: 2) }
                    maskInput = concat([before, previous], axis: 1)
                }
                var current = masks[task]![i](maskInput, context) * shared
                if i < blocks.count { current = blocks[i](current, context) }
                attended[index] = current
            }
        }
        return heads.representation(attended.map { $0! })
    }

    public func head(_ task: String, _ representation: Tensor, _ context: ForwardContext) -> Tensor {
        heads.head(task, representation, context)
    }

    public func isEncoderSideHeadParameter(_ name: String) -> Bool { heads.isArchitectureTaskParameter(name) }

    /// LibMTL's `encoder.shared_conv.{0,1}`, `encoder.shared_layer.I.0.B` (all blocks but the
    /// last) / `encoder.shared_layer.I.1` (the last), `encoder.encoder_att.I.T`, `encoder.encoder_block_att.I`.
    public func referenceName(of name: String) -> String? {
        guard heads.encoderModel is any ReferenceStateDictionary else { return nil }
        if name.hasPrefix("shared.encoder.encoder_block_att.") { return pyTorchTensorName(String(name.dropFirst("shared.".count))) }
        if name.hasPrefix("shared.encoder."), let (level, rest) = resNetLevelPath(String(name.dropFirst("shared.encoder.".count))) {
            if level == 0 { return pyTorchTensorName("encoder.shared_conv.\(rest)") }
            guard let dot = rest.firstIndex(of: "."), let block = Int(rest[..<dot]) else { return nil }
            let inner = rest[rest.index(after: dot)...]
            let last = encoder.stages[level - 1].count - 1
            return pyTorchTensorName(block < last ? "encoder.shared_layer.\(level - 1).0.\(block).\(inner)" : "encoder.shared_layer.\(level - 1).1.\(inner)")
        }
        if let (task, rest) = heads.architectureTaskParameter(name), rest.hasPrefix("encoder_att.") {
            let path = rest.dropFirst("encoder_att.".count)
            guard let dot = path.firstIndex(of: "."), let index = taskNames.firstIndex(of: task) else { return nil }
            return pyTorchTensorName("encoder.encoder_att.\(path[..<dot]).\(index)\(path[dot...])")
        }
        return heads.referenceHeadName(of: name)
    }
}
