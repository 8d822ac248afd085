import TandemCore

/// PCGrad — gradient surgery (Yu, Kumar, Gupta, Levine, Hausman & Finn, NeurIPS 2020).
///
/// For each task i: p_i ← g_i; for j in a fresh random order of the other tasks: if p_i·g_j < 0,
/// p_i ← p_i − (p_i·g_j / ‖g_j‖²) g_j (projection onto the normal plane of the *original* g_j).
/// The encoder receives d = Σ_i p_i (`sum`, the paper) or the mean. Heads get their own gradients.
/// Every p_i is a combination of the original g_j, so d = Σ_j c_j g_j with c from the Gram matrix.
public final class PCGrad: GradientAggregator, RegisteredStrategy {
    public enum Reduction: String, CaseIterable, Sendable { case sum, mean }

    public static let description = StrategyDescription(
        name: "pcgrad", title: "PCGrad (gradient surgery)",
        formula: "p_i ← g_i − Σ_{j in random order, p_i·g_j < 0} (p_i·g_j/‖g_j‖²) g_j;  d = Σ_i p_i",
        paper: "Yu, Kumar, Gupta, Levine, Hausman & Finn, \"Gradient Surgery for Multi-Task Learning\", NeurIPS 2020",
        options: [
            OptionSpec("level", .choice(GradientLevel.allCases.map(\.rawValue)), default: .text("parameters"),
                       "parameters: on the shared parameters (the reference); representation: at z (a cheaper variant, not equivalent)"),
            OptionSpec("reduction", .choice(Reduction.allCases.map(\.rawValue)), default: .text("sum"), "sum (paper, LibMTL) or mean (Auto-λ, CAGrad code)"),
        ],
        cost: "T encoder backwards (parameter level) and O(T²P) inner products",
        conventions: ["j = i is excluded from the projections (the paper); LibMTL permutes all tasks including i",
                      "a fresh seeded permutation per task per step; the order RNG is checkpointed",
                      "composed with a decoder stage, it acts on the gradients of the decoder-weighted losses"],
        behaviour: StrategyBehaviour(orderInvariant: false, leavesNonConflictingSum: true))

    public let level: GradientLevel
    public let reduction: Reduction
    public private(set) var generator: SeededGenerator

    public init(level: GradientLevel = .parameters, reduction: Reduction = .sum, seed: UInt64 = 0) {
        self.level = level
        self.reduction = reduction
        generator = SeededGenerator(seed: seed)
    }

    public convenience init(options: Options, context: StrategyBuildContext) throws {
        self.init(level: GradientLevel(rawValue: options.text("level")!)!, reduction: Reduction(rawValue: options.text("reduction")!)!,
                  seed: context.seed)
    }

    public func aggregate(_ gradients: TaskGradients, context: StepContext) throws -> [Tensor] {
        let orders = PCGradProjection.randomOrders(taskCount: gradients.taskCount, using: &generator)
        let weights = try PCGradProjection.directionWeights(gram: gradients.gram(), orders: orders,
                                                            reduction: reduction == .sum ? .sum : .mean)
        return gradients.combine(weights)
    }

    public func saveState() -> StrategyState { StrategyState(words: ["generator": generator.state]) }
    public func restoreState(_ state: StrategyState) throws { generator = try state.generator("generator") }
}
