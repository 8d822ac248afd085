import TandemCore

/// ExcessMTL (He, Wang, Xu, Zhao & Li, "Robust Multi-Task Learning with Excess Risks", ICML 2024;
/// TorchJD `ExcessMTL`): `w ← softmax(log w + η ê)`, ê_t the task's excess risk
/// `Σ_j g_tj²/√(S_tj + 1e-7)` (S the accumulated squared gradients) relative to its first value;
/// `d = Σ_t w_t g_t` on the shared parameters (`ExcessMTLWeights`). Heads get their own gradients.
public final class ExcessMTL: GradientAggregator, RegisteredStrategy {
    public static let description = StrategyDescription(
        name: "excessmtl", title: "ExcessMTL (robust MTL with excess risks)",
        formula: "S += G⊙G; e_t = Σ_j G_tj²/√(S_tj + 1e-7), ê = e/(e⁰ + 1e-7); w ← softmax(log w + η ê); d = Σ_t w_t g_t",
        paper: "He, Wang, Xu, Zhao & Li, \"Robust Multi-Task Learning with Excess Risks\", ICML 2024",
        options: [
            OptionSpec("step_size", .number(1e-12...1e12), default: .number(1), "η_α, the exponentiated-gradient step (TorchJD robust_step_size: 1; LibMTL robust_step_size: 1e-2)"),
            OptionSpec("warmup_steps", .integer(0...1_000_000_000), default: .integer(0),
                       "steps at w = 1/T that only collect e; the baseline e⁰ is then their mean (0: the first step's e, as the authors' code, LibMTL and TorchJD)"),
        ],
        cost: "T encoder backwards + T × (shared parameter count) Doubles of state (S), checkpointed",
        conventions: ["w starts at 1/T (the paper, TorchJD); the authors' code and LibMTL start at 1, which differs by a constant factor on d until the softmax renormalises",
                      "the first post-warm-up step uses e raw (e⁰ = e), as the references",
                      "S and the weights are kept per task; a step on a subset of the tasks updates those tasks' S and renormalises their weights among them",
                      "heads get their plain ∇L_t (TorchJD)"],
        behaviour: StrategyBehaviour(scaling: .unspecified))

    public let stepSize: Double
    public let warmupSteps: Int
    public var level: GradientLevel { .parameters }
    /// Per task: its row of S, weight, baseline; plus the step counters.
    private var state: [String: (sums: [Double], weight: Double, baseline: Double?, warmupSum: Double)] = [:]
    private var steps = 0
    private var parameterCount: Int?

    public init(stepSize: Double = 1, warmupSteps: Int = 0) {
        self.stepSize = stepSize
        self.warmupSteps = warmupSteps
    }

    public convenience init(options: Options, context: StrategyBuildContext) throws {
        self.init(stepSize: options.number("step_size")!, warmupSteps: options.integer("warmup_steps")!)
    }

    public func aggregate(_ gradients: TaskGradients, context: StepContext) throws -> [Tensor] {
        let names = gradients.taskNames
        let rows = gradients.flattenedRows()
        let count = rows[0].count
        if let parameterCount, parameterCount != count {
            throw StrategyContractError(strategy: name, problem: "the shared parameters changed from \(parameterCount) to \(count) values between steps")
        }
        parameterCount = count
        let present = names.map { state[$0] }
        let total = names.count
        // The weights of the present tasks, renormalised among them (1/T for new tasks).
        let known = present.compactMap { $0?.weight }
        let knownTotal = known.reduce(0, +)
        let weights = present.map { entry -> Double in
            guard let entry else { return 1 / Double(total) }
            return entry.weight / knownTotal * Double(known.count) / Double(total)
        }
        let baselines = present.map { $0?.baseline }
        var math = ExcessMTLWeights(
            stepSize: stepSize, warmupSteps: warmupSteps,
            squaredGradientSums: present.map { $0?.sums ?? [Double](repeating: 0, count: count) },
            weights: weights,
            baseline: baselines.allSatisfy { $0 != nil } ? baselines.map { $0! } : nil,
            warmupSums: present.map { $0?.warmupSum ?? 0 }, steps: steps)
        let w = math.step(rows)
        steps = math.steps
        for (t, name) in names.enumerated() {
            state[name] = (math.squaredGradientSums[t], math.weights[t], math.baseline?[t], math.warmupSums[t])
            context.report("weight.\(name)", w[t])
        }
        return gradients.combine(w)
    }

    public func saveState() -> StrategyState {
        var numbers: [String: [Double]] = ["steps": [Double(steps)]]
        if let parameterCount { numbers["parameter_count"] = [Double(parameterCount)] }
        for (name, entry) in state {
            numbers["sums.\(name)"] = entry.sums
            numbers["weight.\(name)"] = [entry.weight]
            numbers["warmup_sum.\(name)"] = [entry.warmupSum]
            if let baseline = entry.baseline { numbers["baseline.\(name)"] = [baseline] }
        }
        return StrategyState(numbers: numbers)
    }

    public func restoreState(_ saved: StrategyState) throws {
        steps = Int(try saved.numbers("steps", count: 1)[0])
        parameterCount = saved.numbers["parameter_count"].map { Int($0[0]) }
        state = [:]
        for key in saved.numbers.keys where key.hasPrefix("weight.") {
            let name = String(key.dropFirst("weight.".count))
            state[name] = (try saved.numbers("sums.\(name)", count: parameterCount),
                           try saved.numbers(key, count: 1)[0],
                           saved.numbers["baseline.\(name)"]?.first,
                           try saved.numbers("warmup_sum.\(name)", count: 1)[0])
        }
    }
}
