import TandemCore

/// Dynamic Weight Average (Liu, Johns & Davison, CVPR 2019, MTAN), STRATEGIES.md §3.
///
/// With L̄_t(e) the mean training loss of task t over epoch e: λ_t(e) = 1 for e ∈ {0, 1}, then
/// r_t = L̄_t(e−1)/L̄_t(e−2) and λ_t(e) = T·exp(r_t/τ) / Σ_i exp(r_i/τ). Weights are constant within
/// an epoch; L = Σ_t λ_t L_t (heads and encoder alike).
public final class DynamicWeightAverage: GradientCombiner, DecoderStage, EncoderStage {
    public let name = "dwa"
    public let temperature: Float
    public var ownParameters = Parameters()
    public var decoder: any DecoderStage { self }
    public var encoder: any EncoderStage { self }
    public var requirements: CombinerRequirements { .epochLossHistory }
    /// The last two epochs' mean losses per task: [L̄(e−2), L̄(e−1)].
    public private(set) var history: [String: [Float]] = [:]

    public init(temperature: Float = 2) {
        precondition(temperature > 0, "DWA temperature must be positive")
        self.temperature = temperature
    }

    /// λ for the given tasks from the stored history (1 each until two epochs are complete).
    public func weights(for tasks: [String]) -> [String: Float] {
        guard tasks.allSatisfy({ history[$0]?.count == 2 }) else { return Dictionary(uniqueKeysWithValues: tasks.map { ($0, 1) }) }
        let ratios = tasks.map { Double(history[$0]![1] / history[$0]![0]) }
        let weights = (try? DynamicWeightAverageWeights.weights(ratios: ratios, temperature: Double(temperature))) ?? ratios.map { _ in 1 }
        return Dictionary(uniqueKeysWithValues: zip(tasks, weights.map(Float.init)))
    }

    public func decoderLoss(_ losses: [String: Tensor], ownParameters: Parameters, context: StepContext) -> Tensor {
        let w = weights(for: context.taskNames)
        return context.taskNames.map { losses[$0]! * w[$0]! }.reduce(Tensor(0), +)
    }

    public func encoderGradient(_ context: StepContext) throws -> EncoderGradient {
        .lossWeights(weights(for: context.taskNames))
    }

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
