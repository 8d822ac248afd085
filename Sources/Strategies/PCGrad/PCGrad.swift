import TandemCore

/// PCGrad — gradient surgery (Yu, Kumar, Gupta, Levine, Hausman & Finn, NeurIPS 2020), §5.
///
/// For each task i: p_i ← g_i; for j in a fresh random order of the other tasks: if p_i·g_j < 0,
/// p_i ← p_i − (p_i·g_j / ‖g_j‖²) g_j (projection onto the normal plane of the *original* g_j).
/// The encoder receives d = Σ_i p_i (`sum`, the paper) or the mean. Heads get their own gradients.
/// Level: the concatenated shared parameters (the reference); `representation` applies the same
/// surgery to the gradients at z — cheaper, not equivalent, labelled as a variant. Task gradients
/// are those of the decoder-weighted losses (equal weights unless composed with another decoder).
public final class PCGrad: GradientCombiner, DecoderStage, EncoderStage {
    public enum Level: String, CaseIterable, Sendable { case parameters, representation }
    public enum Reduction: String, CaseIterable, Sendable { case sum, mean }

    public let name: String
    public let level: Level
    public let reduction: Reduction
    public var ownParameters = Parameters()
    public var decoder: any DecoderStage { self }
    public var encoder: any EncoderStage { self }
    public var requirements: CombinerRequirements { level == .parameters ? .sharedParameterGradients : .representationGradients }
    public private(set) var generator: SeededGenerator

    public init(level: Level = .parameters, reduction: Reduction = .sum, seed: UInt64 = 0, name: String = "pcgrad") {
        self.level = level
        self.reduction = reduction
        self.name = name
        generator = SeededGenerator(seed: seed)
    }

    public func decoderLoss(_ losses: [String: Tensor], ownParameters: Parameters, context: StepContext) -> Tensor {
        context.taskNames.map { losses[$0]! }.reduce(Tensor(0), +)
    }

    public func encoderGradient(_ context: StepContext) throws -> EncoderGradient {
        let names = context.taskNames
        let orders = PCGradProjection.randomOrders(taskCount: names.count, using: &generator)
        let weights = names.map { context.decoderWeights[$0] ?? 1 }
        func surgery(_ rows: [[Float]]) throws -> [Float] {
            let matrix = try TaskGradientMatrix(rows: zip(rows, weights).map { row, w in row.map { $0 * w } })
            return try matrix.combine(weights: PCGradProjection.directionWeights(gram: matrix.gram(), orders: orders,
                                                                                 reduction: reduction == .sum ? .sum : .mean))
        }
        switch level {
        case .parameters:
            let perTask = context.sharedParameterGradients()
            let template = perTask[names[0]]!
            let combined = try surgery(names.map { perTask[$0]!.flattened().scalars })
            return .sharedParameters(Parameters(unflattening: Tensor(shape: [combined.count], scalars: combined), like: template))
        case .representation:
            let perTask = context.representationGradients()
            let combined = try surgery(names.map { perTask[$0]!.scalars })
            return .representation(Tensor(shape: perTask[names[0]]!.shape, scalars: combined))
        }
    }

    public func saveState() -> StrategyState { StrategyState(words: ["generator": generator.state]) }
    public func restoreState(_ state: StrategyState) throws { generator = try state.generator("generator") }
}
