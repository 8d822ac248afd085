import Foundation
import TandemCore

/// PCD, priority-constrained descent ("Not All Objectives Are Born Equal: Priority-Constrained
/// Descent for Hierarchical Multi-Objective Optimization", TMLR 2026, arXiv 2606.29521; reference
/// code github.com/DaraVaram/priority-constrained-descent; TorchJD 0.18 `PCD`): the direction
/// closest to the primary task's normalised gradient that gives every auxiliary task at least a
/// fraction τ of the first-order progress of a step along its own normalised gradient, rescaled
/// to the primary gradient's norm (`PriorityConstrainedDirection`):
/// `d̃ = argmin_d ½‖d − g̃_p‖² s.t. g̃_jᵀd ≥ τ‖g̃_j‖²`, `d = ‖g_p‖ d̃/‖d̃‖`. Gradients are normalised
/// by the bias-corrected moving average of their squared norms, `g̃_i = g_i/√(v̂_i + ε)`. Heads get
/// their own gradients.
public final class PCD: GramianWeighting, RegisteredStrategy {
    public static let description = StrategyDescription(
        name: "pcd", title: "PCD (priority-constrained descent)",
        formula: "d̃ = argmin_d ½‖d − g̃_p‖² s.t. g̃_jᵀd ≥ τ‖g̃_j‖² ∀ auxiliary j, g̃_i = g_i/√(v̂_i + ε), v_i ← βv_i + (1−β)‖g_i‖²; d = ‖g_p‖ d̃/‖d̃‖",
        paper: "\"Not All Objectives Are Born Equal: Priority-Constrained Descent for Hierarchical Multi-Objective Optimization\", TMLR 2026 (arXiv 2606.29521; code: github.com/DaraVaram/priority-constrained-descent)",
        options: [
            OptionSpec("tau", .number(0...1), default: .number(0.02), "τ, the fraction of normalised first-order progress guaranteed to each auxiliary task (TorchJD: 0.02)"),
            OptionSpec("beta", .number(0...0.999999999), default: .number(0.999), "β, the decay of the moving average of squared gradient norms (TorchJD: 0.999)"),
            OptionSpec("epsilon", .number(0...1), default: .number(1e-8), "ε, added to the bias-corrected average before the inverse square root (TorchJD: 1e-8)"),
        ],
        cost: "T encoder backwards + a non-negative QP of size T − 1",
        conventions: ["the primary task is the recipe's one task with role: primary (TorchJD: the first row); the others are the constrained ones",
                      "the QP is solved exactly by the active-set NNLS on its dual (TorchJD: Goldfarb–Idnani's dual method; the minimiser is the same)",
                      "infeasible constraints are dropped (d = g_p); g_p = 0 or d̃ = 0 up to rounding gives d = 0, as TorchJD",
                      "a step without the primary task's loss gives d = 0 (its gradient is 0); the moving averages are kept per task and bias-corrected by each task's own count",
                      "heads get their plain ∇L_t (TorchJD)"],
        behaviour: StrategyBehaviour(roles: .onePrimary))

    public let tau: Double
    public let beta: Double
    public let epsilon: Double
    public let primary: String
    public var level: GradientLevel { .parameters }
    public var headWeighting: HeadWeighting { .unit }
    public let weightCache = WeightCache()
    /// Per task: the moving average of ‖g‖² and its step count.
    private var averages: [String: (value: Double, count: Int)] = [:]

    public init(primary: String, tau: Double = 0.02, beta: Double = 0.999, epsilon: Double = 1e-8) {
        self.primary = primary
        self.tau = tau
        self.beta = beta
        self.epsilon = epsilon
    }

    public convenience init(options: Options, context: StrategyBuildContext) throws {
        let primaries = context.tasks.filter { $0.role == .primary }.map(\.name)
        guard primaries.count == 1 else {
            throw OptionError("pcd needs exactly one task with role: primary (the objective it follows); found \(primaries.count)\(primaries.isEmpty ? "" : ": " + primaries.joined(separator: ", "))")
        }
        self.init(primary: primaries[0], tau: options.number("tau")!, beta: options.number("beta")!, epsilon: options.number("epsilon")!)
    }

    /// s_i = 1/√(v̂_i + ε) after folding this step's squared norms into the averages (0 when the
    /// denominator is 0, as TorchJD).
    func updatedScales(_ names: [String], squaredNorms: [Double]) -> [Double] {
        zip(names, squaredNorms).map { name, squared in
            let previous = averages[name] ?? (0, 0)
            let value = beta * previous.value + (1 - beta) * squared
            let count = previous.count + 1
            averages[name] = (value, count)
            let denominator = (value / (1 - Foundation.pow(beta, Double(count))) + epsilon).squareRoot()
            return denominator > 0 ? 1 / denominator : 0
        }
    }

    public func weights(gram: [[Double]], losses: [Double], context: StepContext) throws -> [Double] {
        let names = context.taskNames
        guard gram.joined().allSatisfy(\.isFinite) else {
            throw StrategyContractError(strategy: name, problem: "a task gradient is not finite")
        }
        let scales = updatedScales(names, squaredNorms: names.indices.map { gram[$0][$0] })
        guard let p = names.firstIndex(of: primary) else { return [Double](repeating: 0, count: names.count) }
        // The primary task first, as in TorchJD; then back to the step's order.
        let order = [p] + names.indices.filter { $0 != p }
        let reordered = order.map { i in order.map { gram[i][$0] } }
        let w = try PriorityConstrainedDirection.weights(gram: reordered, scales: order.map { scales[$0] },
                                                         taus: [Double](repeating: tau, count: names.count - 1))
        var result = [Double](repeating: 0, count: names.count)
        for (k, i) in order.enumerated() { result[i] = w[k] }
        return result
    }

    public func saveState() -> StrategyState {
        var numbers: [String: [Double]] = [:]
        for (name, entry) in averages { numbers["average.\(name)"] = [entry.value, Double(entry.count)] }
        return StrategyState(numbers: numbers)
    }

    public func restoreState(_ state: StrategyState) throws {
        averages = [:]
        for key in state.numbers.keys where key.hasPrefix("average.") {
            let values = try state.numbers(key, count: 2)
            averages[String(key.dropFirst("average.".count))] = (values[0], Int(values[1]))
        }
    }
}
