import TandemCore

/// DualProj (TorchJD `DualProj`; GEM's projection, Lopez-Paz & Ranzato, NeurIPS 2017, applied to
/// the mean), STRATEGIES.md §13i: the mean gradient projected onto the dual cone of the task
/// gradients, `d = π_C(Gᵀp)`, `w = argmin_{v ≥ p} vᵀMv` (one QP). When the mean conflicts with no
/// task, `d` is the mean. Heads get their own gradients.
public final class DualProj: GramianWeighting, RegisteredStrategy {
    public static let description = StrategyDescription(
        name: "dualproj", title: "DualProj (mean projected onto the dual cone)",
        formula: "d = π_C(Σ_t p_t g_t), C = {y : g_t·y ≥ 0 ∀t}; w = argmin_{v ≥ p} vᵀMv, p = 1/T",
        paper: "Quinton & Rey, \"Jacobian Descent for Multi-Objective Optimization\", 2024 (TorchJD); projection of Lopez-Paz & Ranzato, \"Gradient Episodic Memory\", NeurIPS 2017",
        options: [
            OptionSpec("norm_eps", .number(0...1), default: .number(0), "M is treated as 0 when its trace is below this (TorchJD: 1e-4)"),
            OptionSpec("reg_eps", .number(0...1), default: .number(0), "added to the diagonal of M/tr(M) before solving (TorchJD: 1e-4)"),
        ],
        cost: "T encoder backwards + one active-set QP of size T",
        conventions: ["exact QP by default; norm_eps = reg_eps = 1e-4 reproduce TorchJD", "preference p = 1/T", "heads get their plain ∇L_t"],
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
        let solution = try DualProjWeights.weights(gram: gram, numerics: numerics)
        context.report("dualproj.converged", solution.converged ? 1 : 0)
        return solution.weights
    }
}
