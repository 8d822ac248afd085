import TandemCore

/// DualProj (TorchJD `DualProj`; GEM's projection, Lopez-Paz & Ranzato, NeurIPS 2017, applied to
/// the mean), STRATEGIES.md §13i: the p-weighted combination of the task gradients projected onto
/// their dual cone, `d = π_C(Gᵀp)`, `w = argmin_{v ≥ p} vᵀMv` (one QP). When the combination
/// conflicts with no task, `d` is the combination itself. Heads get their own gradients. Options
/// shared with UPGrad: `DualConeOptions`.
public final class DualProj: GramianWeighting, RegisteredStrategy {
    public static let description = StrategyDescription(
        name: "dualproj", title: "DualProj (mean projected onto the dual cone)",
        formula: "d = π_C(Σ_t p_t g_t), C = {y : g_t·y ≥ 0 ∀t}; w = argmin_{v ≥ p} vᵀMv (p = 1/T by default)",
        paper: "Quinton & Rey, \"Jacobian Descent for Multi-Objective Optimization\", 2024 (TorchJD); projection of Lopez-Paz & Ranzato, \"Gradient Episodic Memory\", NeurIPS 2017",
        options: DualConeOptions.specs,
        cost: "T encoder backwards + one active-set QP of size T",
        conventions: ["exact QP by default; norm_eps = reg_eps = 1e-4 reproduce TorchJD",
                      "preference p = 1/T (TorchJD's default); ones or explicit weights as options",
                      "heads get their plain ∇L_t"],
        behaviour: StrategyBehaviour(leavesNonConflictingSum: true))

    public let numerics: DualConeProjection.Numerics
    public let preference: DualConeOptions.Preference
    public var level: GradientLevel { .parameters }
    public var headWeighting: HeadWeighting { .unit }
    public let weightCache = WeightCache()

    public init(numerics: DualConeProjection.Numerics = .exact, preference: DualConeOptions.Preference = .mean) {
        self.numerics = numerics
        self.preference = preference
    }

    public convenience init(options: Options, context: StrategyBuildContext) throws {
        let shared = try DualConeOptions(options: options, context: context, owner: Self.description.name)
        self.init(numerics: shared.numerics, preference: shared.preference)
    }

    public func weights(gram: [[Double]], losses: [Double], context: StepContext) throws -> [Double] {
        let solution = try DualProjWeights.weights(gram: gram, preference: try preference.vector(for: context.taskNames), numerics: numerics)
        context.report("dualproj.converged", solution.converged ? 1 : 0)
        return solution.weights
    }
}
