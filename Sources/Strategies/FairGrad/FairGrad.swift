import TandemCore

/// FairGrad (Ban & Ji, "Fair Resource Allocation in Multi-Task Learning", ICML 2024),
/// STRATEGIES.md §13k: the α-fair direction `d = Σ_t w_t g_t` with `(M w)_t = w_t^{−1/α}`
/// (`FairGradSolver`). α = 1 is Nash-MTL's bargaining solution; α → ∞ tends to MGDA.
///
/// Non-convergence is reported (`fairgrad.converged`, `fairgrad.residual`): with no positive root
/// the previous step's weights are reused (`fairgrad.converged = 0`), or the step fails when
/// there are none. A task whose gradient is exactly zero gets weight 0.
public final class FairGrad: GramianWeighting, RegisteredStrategy {
    public static let description = StrategyDescription(
        name: "fairgrad", title: "FairGrad (α-fair resource allocation)",
        formula: "d = Σ_t w_t g_t, w > 0 with (M w)_t = w_t^{−1/α}",
        paper: "Ban & Ji, \"Fair Resource Allocation in Multi-Task Learning\", ICML 2024",
        options: [
            OptionSpec("alpha", .number(1e-3...1e6), default: .number(1),
                       "α (LibMTL's default 1; every run script of the FairGrad reference uses 2)"),
            OptionSpec("scale_by_tasks", .boolean, default: .boolean(false),
                       "multiply d by T, as the FairGrad reference (\"to match the sum loss\")"),
            OptionSpec("max_norm", .number(0...1e12), default: .number(1),
                       "clip ‖d‖ to this after scaling (the FairGrad reference and Nash-MTL's peers: 1.0; 0 = off, as LibMTL's and TorchJD's FairGrad)"),
        ],
        cost: "T encoder backwards + a T-dimensional Newton solve",
        conventions: ["d = Σ w_t g_t clipped to ‖d‖ ≤ 1 by default: unclipped (max_norm = 0, LibMTL and TorchJD) the α = 1 direction has a fixed scale (α_t g_t·d = 1) and diverged under SGD 0.05 + momentum in the end-to-end test; scale_by_tasks + max_norm 1 is the reference's T·d clipped to 1",
                      "heads get w_t ∇L_t (LibMTL's backward of Σ w_t L_t; the reference gives heads their plain ∇L_t)",
                      "scaling G by c scales d by c^{(1−α)/(1+α)}: invariant at α = 1"],
        behaviour: StrategyBehaviour(scaling: .unspecified))

    public let alpha: Double
    public let scalesByTasks: Bool
    public let maximumNorm: Double
    public var level: GradientLevel { .parameters }
    public var headWeighting: HeadWeighting { .combinationWeights }
    public let weightCache = WeightCache()
    public private(set) var previous: [String: Double] = [:]

    public init(alpha: Double = 1, scalesByTasks: Bool = false, maximumNorm: Double = 1) {
        self.alpha = alpha
        self.scalesByTasks = scalesByTasks
        self.maximumNorm = maximumNorm
    }

    public convenience init(options: Options, context: StrategyBuildContext) throws {
        self.init(alpha: options.number("alpha")!, scalesByTasks: options.boolean("scale_by_tasks")!, maximumNorm: options.number("max_norm")!)
    }

    public func weights(gram: [[Double]], losses: [Double], context: StepContext) throws -> [Double] {
        let names = context.taskNames
        let active = names.indices.filter { gram[$0][$0] > 0 }
        var w = [Double](repeating: 0, count: names.count)
        guard !active.isEmpty else { return w }
        let reduced = active.map { i in active.map { gram[i][$0] } }
        do {
            let solution = try FairGradSolver.solve(gram: reduced, alpha: alpha)
            for (k, i) in active.enumerated() { w[i] = solution.weights[k]; previous[names[i]] = solution.weights[k] }
            context.report("fairgrad.converged", 1)
            context.report("fairgrad.residual", solution.residual)
        } catch let error as StrategyMathError {
            guard active.allSatisfy({ previous[names[$0]] != nil }) else { throw error }
            context.report("fairgrad.converged", 0)
            for i in active { w[i] = previous[names[i]]! }
        }
        if scalesByTasks { w = w.map { $0 * Double(names.count) } }
        if maximumNorm > 0 {
            let norm = MinimumNormSolver.quadraticForm(gram, w).squareRoot()
            if norm > maximumNorm { w = w.map { $0 * maximumNorm / norm } }
        }
        return w
    }

    public func saveState() -> StrategyState {
        StrategyState(numbers: Dictionary(uniqueKeysWithValues: previous.map { ("weight.\($0.key)", [$0.value]) }))
    }

    public func restoreState(_ state: StrategyState) throws {
        previous = [:]
        for (key, value) in state.numbers where key.hasPrefix("weight.") {
            guard value.count == 1 else { throw StrategyStateError.wrongLength(key, expected: 1, found: value.count) }
            previous[String(key.dropFirst("weight.".count))] = value[0]
        }
    }
}
