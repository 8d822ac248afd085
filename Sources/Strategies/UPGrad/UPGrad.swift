import TandemCore

/// UPGrad (Quinton & Rey, "Jacobian Descent for Multi-Objective Optimization", 2024; TorchJD
/// `UPGrad`), STRATEGIES.md §13h: every task gradient projected onto the dual cone of all of them,
/// the projections averaged, `d = Σ_i p_i π(g_i)` — weights from T small QPs on M
/// (`UPGradWeights`). No task's first-order loss increases (`G d ≥ 0`). Heads get their own gradients.
public final class UPGrad: GramianWeighting, RegisteredStrategy {
    public static let description = StrategyDescription(
        name: "upgrad", title: "UPGrad (unconflicting projection of gradients)",
        formula: "d = Σ_i p_i π_C(g_i), C = {y : g_t·y ≥ 0 ∀t}; w = Σ_i argmin_{v ≥ p_i e_i} vᵀMv",
        paper: "Quinton & Rey, \"Jacobian Descent for Multi-Objective Optimization\", arXiv 2406.16232, 2024",
        options: [
            OptionSpec("norm_eps", .number(0...1), default: .number(0),
                       "M is treated as 0 when its trace is below this (TorchJD: 1e-4)"),
            OptionSpec("reg_eps", .number(0...1), default: .number(0),
                       "added to the diagonal of M/tr(M) before solving (TorchJD: 1e-4; moves d by up to a few % when one gradient dominates)"),
        ],
        cost: "T encoder backwards + T active-set QPs of size T",
        conventions: ["exact QP by default; norm_eps = reg_eps = 1e-4 reproduce TorchJD (and LibMTL's UPGrad)",
                      "preference p = 1/T (the mean of the projections)", "heads get their plain ∇L_t"],
        behaviour: StrategyBehaviour(leavesNonConflictingSum: true))

    public let numerics: DualConeProjection.Numerics
    public var level: GradientLevel { .parameters }
    public var headWeighting: HeadWeighting { .unit }
    public let weightCache = WeightCache()

    public init(numerics: DualConeProjection.Numerics = .exact) { self.numerics = numerics }

    public convenience init(options: Options, context: StrategyBuildContext) throws {
        self.init(numerics: .init(normEpsilon: options.number("norm_eps")!, regularisationEpsilon: options.number("reg_eps")!))
    }

    public func weights(gram: [[Double]], losses: [Double], context: StepContext) throws -> [Double] {
        let solution = try UPGradWeights.weights(gram: gram, numerics: numerics)
        context.report("upgrad.converged", solution.converged ? 1 : 0)
        return solution.weights
    }
}
