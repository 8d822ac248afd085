import TandemCore

/// Dynamic Weight Average (Liu, Johns & Davison, CVPR 2019, MTAN).
///
/// With L̄_t(e) the mean training loss of task t over epoch e: λ_t(e) = 1 for e ∈ {0, 1}, then
/// r_t = L̄_t(e−1)/L̄_t(e−2) and λ_t(e) = T·exp(r_t/τ) / Σ_i exp(r_i/τ). Weights are constant within
/// an epoch; L = Σ_t λ_t L_t (heads and encoder alike).
public final class DynamicWeightAverage: LossWeighting, RegisteredStrategy {
    public static let description = StrategyDescription(
        name: "dwa", title: "Dynamic weight average",
        formula: "λ_t = T·softmax(r/τ)_t, r_t = L̄_t(e−1)/L̄_t(e−2) from epoch mean losses; λ = 1 in epochs 0 and 1",
        paper: "Liu, Johns & Davison, \"End-to-End Multi-Task Learning with Attention\" (MTAN), CVPR 2019",
        options: [OptionSpec("temperature", .number(0.001...1000), default: .number(2), "τ; larger is more uniform")],
        cost: "as EW (keeps two epochs of mean losses)",
        conventions: ["epoch-level ratios as in LibMTL (an iteration-window variant is not offered)"])

    public let temperature: Float
    public var requirements: CombinerRequirements { .epochLossHistory }
    /// The last two epochs' mean losses per task: [L̄(e−2), L̄(e−1)].
    public private(set) var history: [String: [Float]] = [:]

    public init(temperature: Float = 2) {
        precondition(temperature > 0, "DWA temperature must be positive")
        self.temperature = temperature
    }

    public convenience init(options: Options, context: StrategyBuildContext) throws {
        self.init(temperature: options.float("temperature")!)
    }

    /// λ for the given tasks from the stored history (1 each until two epochs are complete).
    public func weights(for tasks: [String]) throws -> [String: Float] {
        guard tasks.allSatisfy({ history[$0]?.count == 2 }) else { return Dictionary(uniqueKeysWithValues: tasks.map { ($0, 1) }) }
        let ratios = tasks.map { Double(history[$0]![1] / history[$0]![0]) }
        let weights = try DynamicWeightAverageWeights.weights(ratios: ratios, temperature: Double(temperature))
        return Dictionary(uniqueKeysWithValues: zip(tasks, weights.map(Float.init)))
    }

    public func lossWeights(_ context: StepContext) throws -> [String: Float] { try weights(for: context.taskNames) }

    public func epochEnded(meanLosses: [String: Float]) {
        for (task, loss) in meanLosses { history[task] = Array(((history[task] ?? []) + [loss]).suffix(2)) }
    }

    public func saveState() -> StrategyState {
        StrategyState(numbers: Dictionary(uniqueKeysWithValues: history.map { ("history.\($0.key)", $0.value.map(Double.init)) }))
    }

    public func restoreState(_ state: StrategyState) throws {
        history = [:]
        for (key, values) in state.numbers where key.hasPrefix("history.") {
            history[String(key.dropFirst("history.".count))] = values.map(Float.init)
        }
    }
}
