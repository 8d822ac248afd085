import Foundation
import TandemCore

/// DB-MTL, dual-balancing multi-task learning (Lin, Jiang, Ye, Zhang, Chen, Chen, Liu & Kwok,
/// "Dual-Balancing for Multi-Task Learning", arXiv 2308.12029, 2023; LibMTL `DB_MTL`): the losses
/// balanced by their logarithm, log(L_t + 1e-8), and the shared gradient by rescaling each task's
/// moving average of log-loss gradients to the largest norm (`DualBalancing`):
/// `m_t ← h_t + β_k (m_t − h_t)`, `d = Σ_t max_s‖m_s‖/(‖m_t‖ + 1e-8) m_t`. Heads train on
/// ∇ log(L_t + 1e-8), as LibMTL's per-task backwards of the log-losses.
public final class DBMTL: GradientAggregator, RegisteredStrategy {
    public static let description = StrategyDescription(
        name: "db-mtl", title: "DB-MTL (dual-balancing multi-task learning)",
        formula: "h_t = ∇log(L_t + 1e-8); m_t ← h_t + (β/k^σ)(m_t − h_t); d = Σ_t max_s‖m_s‖/(‖m_t‖ + 1e-8) m_t",
        paper: "Lin, Jiang, Ye, Zhang, Chen, Chen, Liu & Kwok, \"Dual-Balancing for Multi-Task Learning\", arXiv 2308.12029, 2023",
        options: [
            OptionSpec("beta", .number(0...1), default: .number(0.9), "β, the moving average's rate (LibMTL DB_beta: 0.9)"),
            OptionSpec("beta_sigma", .number(0...100), default: .number(0), "σ: the rate at step k is β/k^σ (LibMTL DB_beta_sigma: 0, a constant rate)"),
        ],
        cost: "T encoder backwards + T × (shared parameter count) Doubles of state (the moving averages), checkpointed",
        conventions: ["the moving average starts at 0 without bias correction, and k counts from 1 (LibMTL)",
                      "heads get ∇ log(L_t + 1e-8) = ∇L_t/(L_t + 1e-8) (LibMTL backpropagates the log-losses)",
                      "the averages are kept per task; a step on a subset of the tasks updates and uses only theirs (k counts every step)"],
        behaviour: StrategyBehaviour())

    public let beta: Double
    public let betaDecay: Double
    public var level: GradientLevel { .parameters }
    private var buffers: [String: [Double]] = [:]
    private var steps = 0

    public init(beta: Double = 0.9, betaDecay: Double = 0) {
        self.beta = beta
        self.betaDecay = betaDecay
    }

    public convenience init(options: Options, context: StrategyBuildContext) throws {
        self.init(beta: options.number("beta")!, betaDecay: options.number("beta_sigma")!)
    }

    /// Σ_t log(L_t + 1e-8): heads get the log-loss gradients, and the rows `aggregate` sees are
    /// h_t = g_t/(L_t + 1e-8).
    public func decoderLoss(_ losses: [String: Tensor], ownParameters: Parameters, context: StepContext) throws -> Tensor {
        context.taskNames.map { log(losses[$0]! + Float(DualBalancing.lossEpsilon)) }.reduce(Tensor(0), +)
    }

    public func aggregate(_ gradients: TaskGradients, context: StepContext) throws -> [Tensor] {
        let names = gradients.taskNames
        let rows = gradients.flattenedRows().map { $0.map(Double.init) }
        let count = rows[0].count
        if let existing = buffers.values.first, existing.count != count {
            throw StrategyContractError(strategy: name, problem: "the shared parameters changed from \(existing.count) to \(count) values between steps")
        }
        var math = DualBalancing(beta: beta, betaDecay: betaDecay,
                                 buffer: names.map { buffers[$0] ?? [Double](repeating: 0, count: count) }, steps: steps)
        let (direction, scales) = math.step(logLossGradients: rows)
        steps = math.steps
        for (t, name) in names.enumerated() {
            buffers[name] = math.buffer[t]
            context.report("scale.\(name)", scales[t])
        }
        return gradients.tensors(fromFlat: direction.map(Float.init))
    }

    public func saveState() -> StrategyState {
        var numbers: [String: [Double]] = ["steps": [Double(steps)]]
        for (name, buffer) in buffers { numbers["buffer.\(name)"] = buffer }
        return StrategyState(numbers: numbers)
    }

    public func restoreState(_ state: StrategyState) throws {
        steps = Int(try state.numbers("steps", count: 1)[0])
        buffers = [:]
        for (key, values) in state.numbers where key.hasPrefix("buffer.") { buffers[String(key.dropFirst("buffer.".count))] = values }
    }
}
