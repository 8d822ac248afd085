import TandemCore

/// UPGrad (Quinton & Rey, "Jacobian Descent for Multi-Objective Optimization", 2024; TorchJD
/// `UPGrad`), STRATEGIES.md §13h: every task gradient projected onto the dual cone of all of them,
/// the projections combined with a preference p, `d = Σ_i p_i π(g_i)` — weights from T small QPs
/// on M (`UPGradWeights`). No task's first-order loss increases (`G d ≥ 0`). Heads get their own
/// gradients. Options shared with DualProj: `DualConeOptions`.
public final class UPGrad: GramianWeighting, RegisteredStrategy {
    public static let description = StrategyDescription(
        name: "upgrad", title: "UPGrad (unconflicting projection of gradients)",
        formula: "d = Σ_i p_i π_C(g_i), C = {y : g_t·y ≥ 0 ∀t}; w = Σ_i argmin_{v ≥ p_i e_i} vᵀMv",
        paper: "Quinton & Rey, \"Jacobian Descent for Multi-Objective Optimization\", arXiv 2406.16232, 2024",
        options: DualConeOptions.specs,
        cost: "T encoder backwards + T active-set QPs of size T",
        conventions: ["exact QP by default; norm_eps = reg_eps = 1e-4 reproduce TorchJD (and LibMTL's UPGrad)",
                      "preference p = 1/T (the mean of the projections, TorchJD's default); ones or explicit weights as options",
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
        let solution = try UPGradWeights.weights(gram: gram, preference: try preference.vector(for: context.taskNames), numerics: numerics)
        context.report("upgrad.converged", solution.converged ? 1 : 0)
        return solution.weights
    }
}
