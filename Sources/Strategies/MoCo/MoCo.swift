import TandemCore

/// MoCo (Fernando, Shen, Liu, Chaudhury, Murugesan & Chen, "Mitigating Gradient Bias in
/// Multi-objective Learning: A Provably Convergent Approach", ICLR 2023; LibMTL `MoCo`): MGDA-like
/// weights on gradients tracked across steps to remove the stochastic bias —
/// `y_t ← y_t − β_k(y_t − L_t g_t/‖g_t‖)`, `λ ← softmax(λ − γ_k(YYᵀ + ρI)λ)`, `d = Yᵀλ`
/// (`MoCoTracking`). Heads get their own gradients.
public final class MoCo: GradientAggregator, RegisteredStrategy {
    public static let description = StrategyDescription(
        name: "moco", title: "MoCo (multi-objective gradient correction)",
        formula: "ĝ_t = L_t g_t/(‖g_t‖ + 1e-8); y_t ← y_t − (β/k^σβ)(y_t − ĝ_t); λ ← softmax(λ − (γ/k^σγ)(YYᵀ + ρI)λ); d = Yᵀλ",
        paper: "Fernando, Shen, Liu, Chaudhury, Murugesan & Chen, \"Mitigating Gradient Bias in Multi-objective Learning: A Provably Convergent Approach\", ICLR 2023",
        options: [
            OptionSpec("beta", .number(0...1), default: .number(0.5), "β, the tracking rate of y (LibMTL MoCo_beta: 0.5)"),
            OptionSpec("beta_sigma", .number(0...100), default: .number(0.5), "σ_β: the rate at step k is β/k^σβ (LibMTL MoCo_beta_sigma: 0.5)"),
            OptionSpec("gamma", .number(0...1e6), default: .number(0.1), "γ, the step of λ (LibMTL MoCo_gamma: 0.1)"),
            OptionSpec("gamma_sigma", .number(0...100), default: .number(0.5), "σ_γ: the step at k is γ/k^σγ (LibMTL MoCo_gamma_sigma: 0.5)"),
            OptionSpec("rho", .number(0...1e6), default: .number(0), "ρ, the ℓ2 regularisation of λ's update (LibMTL MoCo_rho: 0)"),
        ],
        cost: "T encoder backwards + T × (shared parameter count) Doubles of state (y), checkpointed",
        conventions: ["y starts at 0 and λ at 1/T; k counts from 1; λ goes through a softmax after each gradient step (LibMTL, the authors' code)",
                      "the gradients are rescaled to L_t/‖g_t‖ before tracking (LibMTL), so d does not change when every gradient is scaled",
                      "y and λ are kept per task; a step on a subset of the tasks updates only theirs, λ renormalised among them",
                      "heads get their plain ∇L_t (LibMTL)"],
        behaviour: StrategyBehaviour(scaling: .invariant))

    public let settings: MoCoTracking.Settings
    public var level: GradientLevel { .parameters }
    private var tracked: [String: [Double]] = [:]
    private var weights: [String: Double] = [:]
    private var steps = 0

    public init(settings: MoCoTracking.Settings = .init()) { self.settings = settings }

    public convenience init(options: Options, context: StrategyBuildContext) throws {
        self.init(settings: .init(beta: options.number("beta")!, betaDecay: options.number("beta_sigma")!,
                                  gamma: options.number("gamma")!, gammaDecay: options.number("gamma_sigma")!, rho: options.number("rho")!))
    }

    public func aggregate(_ gradients: TaskGradients, context: StepContext) throws -> [Tensor] {
        let names = gradients.taskNames
        let rows = gradients.flattenedRows().map { $0.map(Double.init) }
        let count = rows[0].count
        if let existing = tracked.values.first, existing.count != count {
            throw StrategyContractError(strategy: name, problem: "the shared parameters changed from \(existing.count) to \(count) values between steps")
        }
        // λ of the step's tasks: the stored values renormalised among them (1/T for a new task).
        let known = names.compactMap { weights[$0] }
        let knownTotal = known.reduce(0, +)
        let lambda = names.map { name -> Double in
            guard let value = weights[name] else { return 1 / Double(names.count) }
            return value / knownTotal * Double(known.count) / Double(names.count)
        }
        var math = MoCoTracking(settings: settings, tracked: names.map { tracked[$0] ?? [Double](repeating: 0, count: count) },
                                weights: lambda, steps: steps)
        let direction = math.step(gradients: rows, losses: names.map { Double(context.losses[$0]!) })
        steps = math.steps
        for (t, name) in names.enumerated() {
            tracked[name] = math.tracked[t]
            weights[name] = math.weights[t]
            context.report("weight.\(name)", math.weights[t])
        }
        return gradients.tensors(fromFlat: direction.map(Float.init))
    }

    public func saveState() -> StrategyState {
        var numbers: [String: [Double]] = ["steps": [Double(steps)]]
        for (name, row) in tracked { numbers["tracked.\(name)"] = row }
        for (name, value) in weights { numbers["weight.\(name)"] = [value] }
        return StrategyState(numbers: numbers)
    }

    public func restoreState(_ state: StrategyState) throws {
        steps = Int(try state.numbers("steps", count: 1)[0])
        tracked = [:]
        weights = [:]
        for (key, values) in state.numbers {
            if key.hasPrefix("tracked.") { tracked[String(key.dropFirst("tracked.".count))] = values }
            if key.hasPrefix("weight.") { weights[String(key.dropFirst("weight.".count))] = try state.numbers(key, count: 1)[0] }
        }
    }
}
