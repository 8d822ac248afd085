import TandemCore

/// SDMGrad, stochastic direction-oriented multi-objective gradient descent (Xiao, Ban & Ji,
/// "Direction-oriented Multi-objective Learning: Simple and Provable Stochastic Algorithms",
/// NeurIPS 2023; TorchJD `SDMGradWeighting`, LibMTL `SDMGrad`): weights on the simplex from the
/// cross-batch matrix `A = J_ξ J_ξ'ᵀ` of two further independent batches (`SDMGradWeights`),
/// pulled towards the average gradient by λ, applied to this step's task gradients:
/// `d = Σ_t (w_t + λ/T)/(1 + λ) g_t`. Heads get their own gradients on this step's batch.
public final class SDMGrad: GradientAggregator, RegisteredStrategy {
    public static let description = StrategyDescription(
        name: "sdmgrad", title: "SDMGrad (stochastic direction-oriented MGDA)",
        formula: "A = J_ξ J_ξ'ᵀ / (mean_t √A_tt)²; 20 × { v ← μv + A(w + λ/T), w ← Π_Δ(w − ηv) }; d = Σ_t (w_t + λ/T)/(1 + λ) g_t",
        paper: "Xiao, Ban & Ji, \"Direction-oriented Multi-objective Learning: Simple and Provable Stochastic Algorithms\", NeurIPS 2023",
        options: [
            OptionSpec("lambda", .number(0...1e6), default: .number(0.3), "λ, the pull towards the average gradient (TorchJD lambda_, LibMTL SDMGrad_lamda: 0.3)"),
            OptionSpec("learning_rate", .number(1e-12...1e12), default: .number(10), "η of the inner projected SGD on w (TorchJD: 10; LibMTL hard-codes 5)"),
            OptionSpec("momentum", .number(0...0.999999), default: .number(0.5), "μ of the inner SGD (TorchJD, LibMTL: 0.5)"),
            OptionSpec("iterations", .integer(1...100_000), default: .integer(20), "inner SGD steps per training step (TorchJD n_iter, LibMTL SDMGrad_niter: 20)"),
        ],
        cost: "three batches a step: T encoder backwards on this step's batch, and two more forward passes with T backwards each (ξ, ξ') for A",
        conventions: ["ξ and ξ' are the next two training batches, drawn per step (as Auto-λ's second batch): they advance the data stream",
                      "w starts at 1/T and carries over between steps; the inner momentum restarts each step (TorchJD, LibMTL)",
                      "a task without labels in ξ or ξ' has a zero row there",
                      "heads get their plain ∇L_t on this step's batch"],
        behaviour: StrategyBehaviour())

    public let settings: SDMGradWeights.Settings
    public var level: GradientLevel { .parameters }
    public var requirements: CombinerRequirements { [.sharedParameterGradients, .extraForwardPasses, .secondBatch] }
    private var weights: [String: Double] = [:]

    public init(settings: SDMGradWeights.Settings = .init()) { self.settings = settings }

    public convenience init(options: Options, context: StrategyBuildContext) throws {
        self.init(settings: .init(learningRate: options.number("learning_rate")!, momentum: options.number("momentum")!,
                                  iterations: options.integer("iterations")!, lambda: options.number("lambda")!))
    }

    public func aggregate(_ gradients: TaskGradients, context: StepContext) throws -> [Tensor] {
        let names = gradients.taskNames
        let a = try CrossBatchGram.matrix(names: names, tensorNames: gradients.tensorNames, context: context, strategy: name)
        // w of the step's tasks: the stored values renormalised among them (1/T for a new task).
        let known = names.compactMap { weights[$0] }
        let knownTotal = known.reduce(0, +)
        let start = names.map { name -> Double in
            guard let value = weights[name], knownTotal > 0 else { return 1 / Double(names.count) }
            return value / knownTotal * Double(known.count) / Double(names.count)
        }
        var math = SDMGradWeights(settings: settings, weights: start)
        let combination = try math.step(crossGram: a)
        for (t, name) in names.enumerated() {
            weights[name] = math.weights[t]
            context.report("weight.\(name)", combination[t])
        }
        return gradients.combine(combination)
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
