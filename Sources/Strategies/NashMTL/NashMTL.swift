import TandemCore

/// Nash-MTL (Navon, Shamsian, Achituve, Maron, Kawaguchi, Chechik & Fetaya, "Multi-Task Learning
/// as a Bargaining Game", ICML 2022), STRATEGIES.md §13c.
///
/// `d = Σ_t α_t g_t` with `α > 0` the Nash bargaining solution `M α = 1/α` (every task's
/// `α_t (g_t·d) = 1`), solved exactly by `NashBargainingSolver` (damped Newton, warm-started from
/// the previous step's α). Heads get `α_t ∇L_t` (a backward of `Σ α_t L_t`, as the reference).
///
/// **Non-convergence is reported, never hidden**: the step record gets `nash.converged` (1/0),
/// `nash.residual` and `nash.iterations`. When no positive root exists (0 in the convex cone of
/// the gradients) the previous step's α is reused, with `nash.converged = 0` — the reference
/// code's behaviour, but visible; with no previous α the step fails with the solver's message.
/// A task whose gradient is exactly zero cannot bargain (`α_t·0 = 1` has no solution): it gets
/// weight 0 and the others bargain among themselves.
public final class NashMTL: GramianWeighting, RegisteredStrategy {
    public static let description = StrategyDescription(
        name: "nash-mtl", title: "Nash-MTL (bargaining game)",
        formula: "d = Σ_t α_t g_t, α > 0 with α_t (g_t·d) = 1 ∀t (M α = 1/α); then ‖d‖ ≤ max_norm",
        paper: "Navon, Shamsian, Achituve, Maron, Kawaguchi, Chechik & Fetaya, \"Multi-Task Learning as a Bargaining Game\", ICML 2022",
        options: [
            OptionSpec("level", .choice(GradientLevel.allCases.map(\.rawValue)), default: .text("parameters"),
                       "parameters: on θ_s (the reference); representation: at z"),
            OptionSpec("max_norm", .number(0...1e12), default: .number(1),
                       "rescale α so that ‖Σ α_t g_t‖ ≤ max_norm (LibMTL and TorchJD: 1.0; 0 = no rescaling)"),
        ],
        cost: "T encoder backwards + a T-dimensional Newton solve (use every-k-steps to amortise, the reference's update_weights_every)",
        conventions: ["exact root of Mα = 1/α (the reference stops its cvxpy iterations at ‖Mα − 1/α‖ < 1e-3, or after 20)",
                      "warm start from the previous step's α, as the reference",
                      "max_norm rescales α (TorchJD) — LibMTL clips the shared gradient after the backward, the same direction",
                      "no positive root: the previous α is reused and nash.converged = 0 is recorded; never equal weights"],
        behaviour: StrategyBehaviour(scaling: .invariant))

    public let level: GradientLevel
    public let maximumNorm: Double
    public var headWeighting: HeadWeighting { .combinationWeights }
    public let weightCache = WeightCache()
    /// The last converged α by task.
    public private(set) var previous: [String: Double] = [:]

    public init(level: GradientLevel = .parameters, maximumNorm: Double = 1) {
        self.level = level
        self.maximumNorm = maximumNorm
    }

    public convenience init(options: Options, context: StrategyBuildContext) throws {
        self.init(level: GradientLevel(rawValue: options.text("level")!)!, maximumNorm: options.number("max_norm")!)
    }

    public func weights(gram: [[Double]], losses: [Double], context: StepContext) throws -> [Double] {
        let names = context.taskNames
        let active = names.indices.filter { gram[$0][$0] > 0 }
        var alpha = [Double](repeating: 0, count: names.count)
        guard !active.isEmpty else { return alpha }
        let reduced = active.map { i in active.map { gram[i][$0] } }
        let start = active.allSatisfy({ (previous[names[$0]] ?? 0) > 0 }) ? active.map { previous[names[$0]]! } : nil
        do {
            let solution = try NashBargainingSolver.solve(gram: reduced, initialWeights: start)
            for (k, i) in active.enumerated() { alpha[i] = solution.weights[k] }
            context.report("nash.converged", 1)
            context.report("nash.residual", solution.residual)
            context.report("nash.iterations", Double(solution.iterations))
            for (k, i) in active.enumerated() { previous[names[i]] = solution.weights[k] }
        } catch let error as StrategyMathError {
            guard let start else { throw error }
            context.report("nash.converged", 0)
            for (k, i) in active.enumerated() { alpha[i] = start[k] }
        }
        if maximumNorm > 0 {
            let norm = MinimumNormSolver.quadraticForm(gram, alpha).squareRoot()
            if norm > maximumNorm { alpha = alpha.map { $0 * maximumNorm / norm } }
        }
        return alpha
    }

    public func saveState() -> StrategyState {
        StrategyState(numbers: Dictionary(uniqueKeysWithValues: previous.map { ("alpha.\($0.key)", [$0.value]) }))
    }

    public func restoreState(_ state: StrategyState) throws {
        previous = [:]
        for (key, value) in state.numbers where key.hasPrefix("alpha.") {
            guard value.count == 1 else { throw StrategyStateError.wrongLength(key, expected: 1, found: value.count) }
            previous[String(key.dropFirst("alpha.".count))] = value[0]
        }
    }
}
