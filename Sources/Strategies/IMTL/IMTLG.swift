import TandemCore

/// IMTL-G, the gradient half of Impartial Multi-Task Learning (Liu, Li, Kuang, Xue, Chen, Yang,
/// Liao & Zhang, "Towards Impartial Multi-task Learning", ICLR 2021), STRATEGIES.md §13b.
///
/// `d = Σ_t α_t g_t` with Σα = 1 chosen so that d has equal projections on every unit gradient
/// `u_t = g_t/‖g_t‖`; in Gram form `α ∝ M⁺n`, `n_t = ‖g_t‖` (TorchJD's `IMTLG`; LibMTL's closed
/// form `α_{2:T} = g_1Uᵀ(DUᵀ)⁻¹` is the same at full rank). Heads get their own gradients.
public final class IMTLG: GramianWeighting, RegisteredStrategy {
    public static let description = StrategyDescription(
        name: "imtl-g", title: "IMTL-G (impartial gradient weighting)",
        formula: "d = Σ_t α_t g_t, α ∝ M⁺‖g‖ (Σα = 1): equal projections d·g_t/‖g_t‖",
        paper: "Liu, Li, Kuang, Xue, Chen, Yang, Liao & Zhang, \"Towards Impartial Multi-task Learning\", ICLR 2021",
        options: [
            OptionSpec("level", .choice(GradientLevel.allCases.map(\.rawValue)), default: .text("parameters"),
                       "parameters: on θ_s (LibMTL, TorchJD); representation: at z (the paper's cheaper form)"),
        ],
        cost: "T encoder backwards (parameter level) + a T×T pseudo-inverse",
        conventions: ["Gram form α ∝ M⁺n (TorchJD): defined also for linearly dependent gradients; Σ(M⁺n) = 0 gives α = 0",
                      "heads get their plain ∇L_t (LibMTL and TorchJD)"],
        behaviour: StrategyBehaviour())

    public let level: GradientLevel
    public var headWeighting: HeadWeighting { .unit }
    public let weightCache = WeightCache()

    public init(level: GradientLevel = .parameters) { self.level = level }

    public convenience init(options: Options, context: StrategyBuildContext) throws {
        self.init(level: GradientLevel(rawValue: options.text("level")!)!)
    }

    public func weights(gram: [[Double]], losses: [Double], context: StepContext) throws -> [Double] {
        try IMTLGradientSolver.weights(gram: gram)
    }
}
