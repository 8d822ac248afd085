import TandemCore

/// Aligned-MTL (Senushkin, Patakin, Kuznetsov & Konushin, "Independent Component Alignment for
/// Multi-Task Learning", CVPR 2023), STRATEGIES.md §13g: the task gradients are aligned into an
/// orthogonal set of equal norms by the balance matrix `B = √λ_R · V Λ^{-1/2} Vᵀ` of M, and
/// `d = Σ_t α_t g_t` with `α = B w` for a preference w. Heads get their own gradients.
public final class AlignedMTL: GramianWeighting, RegisteredStrategy {
    public enum Preference: String, CaseIterable, Sendable {
        /// w = 1 (LibMTL): α = the column sums of B.
        case ones
        /// w = 1/T (TorchJD): a third of LibMTL's direction for T = 3.
        case mean
    }

    public static let description = StrategyDescription(
        name: "aligned-mtl", title: "Aligned-MTL (independent component alignment)",
        formula: "M = VΛVᵀ, B = √λ_min · VΛ^{-1/2}Vᵀ (rank-R part), α = B w, d = Σ_t α_t g_t",
        paper: "Senushkin, Patakin, Kuznetsov & Konushin, \"Independent Component Alignment for Multi-Task Learning\", CVPR 2023",
        options: [
            OptionSpec("level", .choice(GradientLevel.allCases.map(\.rawValue)), default: .text("parameters"),
                       "parameters: on θ_s; representation: at z (the paper's Aligned-MTL-UB)"),
            OptionSpec("preference", .choice(Preference.allCases.map(\.rawValue)), default: .text("ones"),
                       "w = 1 (ones, LibMTL) or w = 1/T (mean, TorchJD)"),
        ],
        cost: "T encoder backwards + a T×T eigendecomposition",
        conventions: ["eigenvalues kept above λ_max·T·ε_f32 (the references' float32 rank rule); λ_R is the smallest kept",
                      "preference ones (LibMTL) by default; mean selects TorchJD's convention",
                      "heads get their plain ∇L_t"],
        behaviour: StrategyBehaviour())

    public let level: GradientLevel
    public let preference: Preference
    public var headWeighting: HeadWeighting { .unit }
    public let weightCache = WeightCache()

    public init(level: GradientLevel = .parameters, preference: Preference = .ones) {
        self.level = level
        self.preference = preference
    }

    public convenience init(options: Options, context: StrategyBuildContext) throws {
        self.init(level: GradientLevel(rawValue: options.text("level")!)!, preference: Preference(rawValue: options.text("preference")!)!)
    }

    public func weights(gram: [[Double]], losses: [Double], context: StepContext) throws -> [Double] {
        let t = gram.count
        return try AlignedMTLSolver.weights(gram: gram, preference: [Double](repeating: preference == .ones ? 1 : 1 / Double(t), count: t))
    }
}
