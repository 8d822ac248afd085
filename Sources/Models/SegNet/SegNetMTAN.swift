import TandemCore

/// SegNet-MTAN (Liu, Johns, Davison, "End-to-End Multi-Task Learning with Attention", CVPR
/// 2019), exactly as the MTAN / Nash-MTL / FAMO code builds it for NYUv2: the `SegNetTrunk`
/// shared by every task, and per task a chain of soft-attention masks over the trunk's features.
///
/// Task t's attention path (`AttentionMask` a, `SegNetConvLayer` f shared by the tasks, level j):
///
///     encoder, j = 0…4:  m = a_enc[t][j]( j = 0 ? E_j⁰ : [E_j⁰, â] );  â = pool₂(f_enc[j](m ⊙ E_j¹))
///     decoder, j = 0…4:  u = f_dec[4−j](bilinear×2(â));  â = a_dec[t][4−j]([U_j, u]) ⊙ D_j¹
///
/// where E_j⁰, E_j¹ are encoder level j's two outputs, U_j the unpooled input and D_j¹ the output
/// of decoder step j; the last â (`filters[0]` channels at the input resolution) goes to task t's
/// `SegNetPrediction` head. For the NYUv2 triple at width 1: 44,229,073 parameters.
///
/// **What "shared" means** (`attention`):
/// - `.shared` (default, the reference's convention): every parameter outside the prediction
///   heads is shared, the per-task masks included — 44,117,184 for three tasks. The gradient
///   methods see each task's gradient over all of them (zero on the other tasks' masks), as
///   Nash-MTL's and FAMO's `shared_parameters()` give it. z is the tasks' final attended features
///   side by side (T·`filters[0]` channels: the reference's "representation"); head t reads its
///   slice.
/// - `.perTask`: each task's masks are its own (`heads.TASK.attention.…`), trained by that task's
///   loss only; the trunk and the blocks f the tasks share stay shared — 35,163,456 for three
///   tasks. z and the heads are as above.
///
/// Parameter names follow the reference's module paths (`shared.encoder_att.T.J.0.weight` with T
/// the task's position, or `heads.TASK.attention.encoder_att.J.0.weight` per task);
/// `referenceName(of:)` gives the reference's state-dict name.
public struct SegNetMTAN: MultiTaskModel, ReferenceStateDictionary {
    /// Where the per-task attention masks' parameters belong.
    public enum AttentionParameters: String, Sendable, CaseIterable {
        /// In the shared group (the reference's convention).
        case shared
        /// In each task's head group.
        case perTask = "per_task"
    }

    public let heads: [DenseTaskHead]
    public let width: Double
    public let attention: AttentionParameters
    let trunk: SegNetTrunk
    /// a_enc[t][j], a_dec[t][j] by task.
    let encoderMasks: [String: [AttentionMask]], decoderMasks: [String: [AttentionMask]]
    /// f_enc[j], f_dec[j], shared by the tasks.
    let encoderAttentionBlocks: [SegNetConvLayer], decoderAttentionBlocks: [SegNetConvLayer]
    let predictions: [String: SegNetPrediction]

    public init(heads: [DenseTaskHead], width: Double = 1, inputChannels: Int = 3, attention: AttentionParameters = .shared) {
        precondition(!heads.isEmpty && Set(heads.map(\.task)).count == heads.count, "SegNet-MTAN needs distinct task names, got \(heads.map(\.task))")
        precondition(width > 0, "width must be positive, got \(width)")
        self.heads = heads
        self.width = width
        self.attention = attention
        let filters = segNetFilters(width: width)
        trunk = SegNetTrunk(prefix: "shared", inputChannels: inputChannels, filters: filters)
        var encoderMasks: [String: [AttentionMask]] = [:], decoderMasks: [String: [AttentionMask]] = [:]
        for (index, head) in heads.enumerated() {
            let prefix = attention == .shared ? "shared" : "heads.\(head.task).attention"
            let position = attention == .shared ? ".\(index)" : ""
            // a_enc[t][0] reads E_0⁰; a_enc[t][j] reads [E_j⁰, â] (2·filters[j] channels).
            encoderMasks[head.task] = (0..<5).map { j in
                AttentionMask(name: "\(prefix).encoder_att\(position).\(j)", inputChannels: j == 0 ? filters[0] : 2 * filters[j],
                              middleChannels: filters[j], outputChannels: filters[j])
            }
            // a_dec[t][j] reads [U, u]: filters[j] + filters[j − 1] channels (2·filters[0] at j = 0).
            decoderMasks[head.task] = (0..<5).map { j in
                let out = filters[max(0, j - 1)]
                return AttentionMask(name: "\(prefix).decoder_att\(position).\(j)", inputChannels: j == 0 ? 2 * filters[0] : filters[j] + out,
                                     middleChannels: out, outputChannels: out)
            }
        }
        self.encoderMasks = encoderMasks
        self.decoderMasks = decoderMasks
        // f_enc[j]: filters[j] → filters[j + 1] (the last keeps filters[4]); f_dec[j]: filters[j] → filters[j − 1]
        // (the first keeps filters[0], the last filters[4]).
        encoderAttentionBlocks = (0..<5).map { j in
            SegNetConvLayer(name: "shared.encoder_block_att.\(j)", inputChannels: filters[j], outputChannels: filters[min(j + 1, 4)])
        }
        decoderAttentionBlocks = (0..<5).map { j in
            SegNetConvLayer(name: "shared.decoder_block_att.\(j)", inputChannels: filters[j], outputChannels: j == 0 || j == 4 ? filters[j] : filters[j - 1])
        }
        predictions = segNetPredictions(heads, inputChannels: filters[0])
    }

    public var taskNames: [String] { heads.map(\.task) }

    /// Channels of one task's slice of z.
    var taskChannels: Int { trunk.filters[0] }

    /// Every layer in the reference's module order.
    var layers: [any Layer] {
        let masks: [any Layer] = taskNames.flatMap { encoderMasks[$0]! } + taskNames.flatMap { decoderMasks[$0]! }
        return trunk.layers + masks + encoderAttentionBlocks + decoderAttentionBlocks + taskNames.map { predictions[$0]! }
    }

    public func initialParameters(generator: inout SeededGenerator) -> Parameters {
        layers.reduce(Parameters()) { $0.merging($1.initialParameters(generator: &generator)) }
    }

    public func initialBuffers() -> Parameters { layers.reduce(Parameters()) { $0.merging($1.initialBuffers()) } }

    /// z: every task's final attended features, concatenated over channels in task order.
    public func encode(_ input: Tensor, _ context: ForwardContext) -> Tensor {
        validateSegNetInput(input.shape)
        let features = trunk(input, context)
        return concat(taskNames.map { attended($0, features, context) }, axis: 1)
    }

    public func head(_ task: String, _ representation: Tensor, _ context: ForwardContext) -> Tensor {
        guard let index = taskNames.firstIndex(of: task) else { preconditionFailure("no head '\(task)'; tasks: \(taskNames)") }
        let slice = representation.slice(axis: 1, range: index * taskChannels..<(index + 1) * taskChannels)
        return predictions[task]!(slice, context)
    }

    public func referenceName(of name: String) -> String? { segNetReferenceName(of: name, tasks: taskNames) }

    /// With `.perTask`, a task's attention masks are its own but run in `encode`.
    public func isEncoderSideHeadParameter(_ name: String) -> Bool {
        attention == .perTask && name.hasPrefix("heads.") && name.contains(".attention.")
    }

    /// Task `task`'s attention path over the trunk's features (the formula above).
    func attended(_ task: String, _ features: SegNetTrunk.Features, _ context: ForwardContext) -> Tensor {
        let encoderMask = encoderMasks[task]!, decoderMask = decoderMasks[task]!
        var current = features.encoderFirst[0]
        for j in 0..<5 {
            let input = j == 0 ? features.encoderFirst[0] : concat([features.encoderFirst[j], current], axis: 1)
            let masked = encoderMask[j](input, context) * features.encoderSecond[j]
            current = maxPool2d(encoderAttentionBlocks[j](masked, context), size: 2)
        }
        for j in 0..<5 {
            let level = 4 - j
            let upsampled = upsampleBilinear(current, height: current.shape[2] * 2, width: current.shape[3] * 2, alignCorners: true)
            let blocked = decoderAttentionBlocks[level](upsampled, context)
            current = decoderMask[level](concat([features.upsampled[j], blocked], axis: 1), context) * features.decoderSecond[j]
        }
        return current
    }
}
