import TandemCore

/// MoDo, multi-objective gradient with double sampling (Chen, Fernando, Ying & Chen, "Three-Way
/// Trade-Off in Multi-Objective Learning: Optimization, Generalization and Conflict-Avoidance",
/// NeurIPS 2023 / JMLR 2024; TorchJD `MoDoWeighting`, LibMTL `MoDo`): MGDA's weights tracked by one
/// projected step per training step on the unbiased cross-batch matrix `A = J_ξ J_ξ'ᵀ` of the next
/// two training batches, `λ ← Π_Δ(λ − γ(Aλ + ρλ))` (`MoDoWeights`), applied to this step's task
/// gradients, `d = Σ_t λ_t g_t` (the three-batch form of LibMTL and the authors' code). Heads get
/// their own gradients on this step's batch.
public final class MoDo: GradientAggregator, RegisteredStrategy {
    public static let description = StrategyDescription(
        name: "modo", title: "MoDo (multi-objective gradient with double sampling)",
        formula: "A = J_ξ J_ξ'ᵀ; λ ← Π_Δ(λ − γ(Aλ + ρλ)); d = Σ_t λ_t g_t",
        paper: "Chen, Fernando, Ying & Chen, \"Three-Way Trade-Off in Multi-Objective Learning: Optimization, Generalization and Conflict-Avoidance\", NeurIPS 2023 (JMLR 2024)",
        options: [
            OptionSpec("gamma", .number(1e-12...1e12), default: .number(0.1), "γ, λ's step (TorchJD: 0.1; LibMTL MoDo_gamma: 0.001)"),
            OptionSpec("rho", .number(0...1e12), default: .number(0.1), "ρ, the ℓ2 regularisation of λ's update (TorchJD, LibMTL MoDo_rho: 0.1)"),
        ],
        cost: "three batches a step: T encoder backwards on this step's batch, and two more forward passes with T backwards each (ξ, ξ') for A",
        conventions: ["ξ and ξ' are the next two training batches, drawn per step (as Auto-λ's second batch): they advance the data stream",
                      "λ starts at 1/T and carries over between steps (TorchJD, LibMTL)",
                      "the update uses this step's batch, a third one (LibMTL; TorchJD's three-batch example); LibMTL also divides the heads' gradients by 3, here the heads get their plain ∇L_t on this step's batch",
                      "a task without labels in ξ or ξ' has a zero row there; λ is kept per task, renormalised among a step's tasks"],
        behaviour: StrategyBehaviour(scaling: .unspecified))

    public let gamma: Double
    public let rho: Double
    public var level: GradientLevel { .parameters }
    public var requirements: CombinerRequirements { [.sharedParameterGradients, .extraForwardPasses, .secondBatch] }
    private var weights: [String: Double] = [:]

    public init(gamma: Double = 0.1, rho: Double = 0.1) {
        self.gamma = gamma
        self.rho = rho
    }

    public convenience init(options: Options, context: StrategyBuildContext) throws {
        self.init(gamma: options.number("gamma")!, rho: options.number("rho")!)
    }

    public func aggregate(_ gradients: TaskGradients, context: StepContext) throws -> [Tensor] {
        let names = gradients.taskNames
        let a = try CrossBatchGram.matrix(names: names, tensorNames: gradients.tensorNames, context: context, strategy: name)
        let known = names.compactMap { weights[$0] }
        let knownTotal = known.reduce(0, +)
        let start = names.map { name -> Double in
            guard let value = weights[name], knownTotal > 0 else { return 1 / Double(names.count) }
            return value / knownTotal * Double(known.count) / Double(names.count)
        }
        var math = MoDoWeights(gamma: gamma, rho: rho, weights: start)
        let lambda = try math.step(crossGram: a)
        for (t, name) in names.enumerated() {
            weights[name] = lambda[t]
            context.report("weight.\(name)", lambda[t])
        }
        return gradients.combine(lambda)
    }

    public func saveState() -> StrategyState {
        StrategyState(numbers: Dictionary(uniqueKeysWithValues: weights.map { ("weight.\($0.key)", [$0.value]) }))
    }

    public func restoreState(_ state: StrategyState) throws {
        weights = [:]
        for key in state.numbers.keys where key.hasPrefix("weight.") {
            weights[String(key.dropFirst("weight.".count))] = try state.numbers(key, count: 1)[0]
        }
    }
}
