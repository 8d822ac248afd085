import TandemCore

/// CAGrad — conflict-averse gradient descent (Liu, Liu, Jin, Stone & Liu, NeurIPS 2021),
/// STRATEGIES.md §13a: with `g0` the mean gradient, `w* = argmin_{w∈Δ} g_wᵀg0 + c‖g0‖‖g_w‖` and
/// `d = (g0 + c‖g0‖/‖g_w*‖ · g_w*) / rescale` — a combination of the task gradients with weights
/// from M (`CAGradSolver`). Heads get their own gradients.
public final class CAGrad: GramianWeighting, RegisteredStrategy {
    public enum Rescale: String, CaseIterable, Sendable {
        case none
        case onePlusCSquared = "one-plus-c-squared"
        case onePlusC = "one-plus-c"

        var solver: CAGradSolver.Rescaling {
            switch self {
            case .none: return .none
            case .onePlusCSquared: return .oneOverOnePlusCSquared
            case .onePlusC: return .oneOverOnePlusC
            }
        }
    }

    public static let description = StrategyDescription(
        name: "cagrad", title: "CAGrad (conflict-averse gradient descent)",
        formula: "w* = argmin_{w∈Δ} g_wᵀg0 + c‖g0‖‖g_w‖; d = (g0 + c‖g0‖/‖g_w*‖ g_w*)/rescale, g0 = mean_t g_t",
        paper: "Liu, Liu, Jin, Stone & Liu, \"Conflict-Averse Gradient Descent for Multi-task Learning\", NeurIPS 2021",
        options: [
            OptionSpec("c", .number(0...100), default: .number(0.5), "conflict aversion c (LibMTL 0.5; Auto-λ's dense experiments 0.4)"),
            OptionSpec("rescale", .choice(Rescale.allCases.map(\.rawValue)), default: .text("one-plus-c-squared"),
                       "divide d by 1 + c² (LibMTL's default rescale = 1), by 1 + c (rescale = 2) or not (none, TorchJD)"),
        ],
        cost: "T encoder backwards + a T-dimensional convex solve on M",
        conventions: ["rescale one-plus-c-squared by default (LibMTL, the reference code); none selects TorchJD's convention",
                      "the sub-problem is solved by projected gradient on the simplex (the references: SLSQP / Clarabel)",
                      "heads get their plain ∇L_t"],
        behaviour: StrategyBehaviour())

    public let conflictAversion: Double
    public let rescale: Rescale
    public var level: GradientLevel { .parameters }
    public var headWeighting: HeadWeighting { .unit }
    public let weightCache = WeightCache()

    public init(conflictAversion: Double = 0.5, rescale: Rescale = .onePlusCSquared) {
        self.conflictAversion = conflictAversion
        self.rescale = rescale
    }

    public convenience init(options: Options, context: StrategyBuildContext) throws {
        self.init(conflictAversion: options.number("c")!, rescale: Rescale(rawValue: options.text("rescale")!)!)
    }

    public func weights(gram: [[Double]], losses: [Double], context: StepContext) throws -> [Double] {
        try CAGradSolver.solve(gram: gram, conflictAversion: conflictAversion, rescaling: rescale.solver).directionWeights
    }
}
