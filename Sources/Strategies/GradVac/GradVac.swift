import TandemCore

/// Gradient Vaccine (Wang, Tsvetkov, Firat & Cao, ICLR 2021), STRATEGIES.md §13f: like PCGrad,
/// but each p_i is moved towards an EMA target cosine ρ̂_ij with every other task instead of to
/// orthogonality; `d = Σ_i p_i`, a combination of the task gradients with coefficients from M
/// (`GradVacProjection`). Task orders are drawn from a seeded generator; targets and generator
/// are checkpointed. Heads get their own gradients.
public final class GradVac: GramianWeighting, RegisteredStrategy {
    public enum TargetUpdate: String, CaseIterable, Sendable {
        /// Every pair's target follows its cosine (the paper, TorchJD).
        case everyPair = "every-pair"
        /// Only adjusted pairs update their target (LibMTL 1.1.5).
        case whenAdjusted = "when-adjusted"
    }

    public static let description = StrategyDescription(
        name: "gradvac", title: "GradVac (gradient vaccine)",
        formula: "ρ = cos(p_i, g_j) < ρ̂_ij ⇒ p_i += g_j‖p_i‖(ρ̂√(1−ρ²) − ρ√(1−ρ̂²))/(‖g_j‖√(1−ρ̂²)); ρ̂ ← (1−β)ρ̂ + βρ; d = Σ_i p_i",
        paper: "Wang, Tsvetkov, Firat & Cao, \"Gradient Vaccine: Investigating and Improving Multi-task Optimization in Massively Multilingual Models\", ICLR 2021",
        options: [
            OptionSpec("beta", .number(0...1), default: .number(0.5), "EMA rate β of the target cosines (LibMTL 0.5)"),
            OptionSpec("target_update", .choice(TargetUpdate.allCases.map(\.rawValue)), default: .text("every-pair"),
                       "every-pair (paper, TorchJD) or when-adjusted (LibMTL 1.1.5 updates a target only inside its `ρ < ρ̂` branch)"),
        ],
        cost: "T encoder backwards and O(T³) work on M",
        conventions: ["whole-model parameter group (LibMTL's default)", "targets start at 0: the first step is PCGrad",
                      "a fresh seeded order of the other tasks per task per step", "heads get their plain ∇L_t"],
        behaviour: StrategyBehaviour(orderInvariant: false))

    public let decay: Double
    public let targetUpdate: TargetUpdate
    public var level: GradientLevel { .parameters }
    public var headWeighting: HeadWeighting { .unit }
    public let weightCache = WeightCache()
    public private(set) var generator: SeededGenerator
    /// ρ̂ by ordered task pair "i→j".
    public private(set) var targets: [String: Double] = [:]

    public init(decay: Double = 0.5, targetUpdate: TargetUpdate = .everyPair, seed: UInt64 = 0) {
        self.decay = decay
        self.targetUpdate = targetUpdate
        generator = SeededGenerator(seed: seed)
    }

    public convenience init(options: Options, context: StrategyBuildContext) throws {
        self.init(decay: options.number("beta")!, targetUpdate: TargetUpdate(rawValue: options.text("target_update")!)!, seed: context.seed)
    }

    static func key(_ i: String, _ j: String) -> String { "\(i)→\(j)" }

    public func weights(gram: [[Double]], losses: [Double], context: StepContext) throws -> [Double] {
        let names = context.taskNames
        var matrix = names.map { i in names.map { j in i == j ? 0 : targets[GradVac.key(i, j)] ?? 0 } }
        let orders = PCGradProjection.randomOrders(taskCount: names.count, using: &generator)
        let weights = try GradVacProjection.directionWeights(gram: gram, orders: orders, targets: &matrix, decay: decay,
                                                             updatesTargetsOnlyWhenAdjusted: targetUpdate == .whenAdjusted)
        for (a, i) in names.enumerated() { for (b, j) in names.enumerated() where a != b { targets[GradVac.key(i, j)] = matrix[a][b] } }
        return weights
    }

    public func saveState() -> StrategyState {
        StrategyState(numbers: Dictionary(uniqueKeysWithValues: targets.map { ("target.\($0.key)", [$0.value]) }),
                      words: ["generator": generator.state])
    }

    public func restoreState(_ state: StrategyState) throws {
        generator = try state.generator("generator")
        targets = [:]
        for (key, value) in state.numbers where key.hasPrefix("target.") {
            guard value.count == 1 else { throw StrategyStateError.wrongLength(key, expected: 1, found: value.count) }
            targets[String(key.dropFirst("target.".count))] = value[0]
        }
    }
}
