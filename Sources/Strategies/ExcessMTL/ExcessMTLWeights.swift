import Foundation

/// ExcessMTL (He, Wang, Xu, Zhao & Li, "Robust Multi-Task Learning with Excess Risks", ICML 2024;
/// TorchJD `ExcessMTLWeighting`): task weights updated by an exponentiated-gradient step driven by
/// each task's excess-risk estimate.
///
/// Per step, with G the task gradients (T×P): the accumulated squared gradients `S += G ⊙ G`
/// (AdaGrad's diagonal Hessian, Eq. 7); the excess-risk proxy **`e_t = Σ_j G_tj²/√(S_tj + 1e-7)`**
/// (Eq. 6); during the first `warmupSteps` steps the weights stay at 1/T and e is summed. After:
/// the baseline e⁰ is the first e (no warm-up, as the authors' code and LibMTL: e is used raw that
/// step) or the warm-up mean, and every later e is divided by `e⁰ + 1e-7` (Section 3.2); then
/// **`w ← softmax(log w + η e)`** (Eq. 9, in log space as TorchJD), `d = Σ_t w_t g_t`.
/// Weights start at 1/T (the paper and TorchJD; the authors' code and LibMTL start at 1).
public struct ExcessMTLWeights: Equatable, Sendable {
    /// η_α.
    public let stepSize: Double
    public let warmupSteps: Int
    /// S, per task (Double).
    public private(set) var squaredGradientSums: [[Double]]
    /// The current weights (Σ = 1).
    public private(set) var weights: [Double]
    /// e⁰, once set.
    public private(set) var baseline: [Double]?
    /// Σ e over the warm-up steps.
    public private(set) var warmupSums: [Double]
    public private(set) var steps: Int

    public static let hessianEpsilon = 1e-7
    public static let baselineEpsilon = 1e-7

    public init(taskCount: Int, parameterCount: Int, stepSize: Double = 1, warmupSteps: Int = 0) {
        self.stepSize = stepSize
        self.warmupSteps = warmupSteps
        squaredGradientSums = [[Double]](repeating: [Double](repeating: 0, count: parameterCount), count: taskCount)
        weights = [Double](repeating: 1 / Double(taskCount), count: taskCount)
        baseline = nil
        warmupSums = [Double](repeating: 0, count: taskCount)
        steps = 0
    }

    /// Restores a state (for checkpoints).
    public init(stepSize: Double, warmupSteps: Int, squaredGradientSums: [[Double]], weights: [Double], baseline: [Double]?,
                warmupSums: [Double], steps: Int) {
        self.stepSize = stepSize
        self.warmupSteps = warmupSteps
        self.squaredGradientSums = squaredGradientSums
        self.weights = weights
        self.baseline = baseline
        self.warmupSums = warmupSums
        self.steps = steps
    }

    /// The excess-risk proxies of this step after S has been updated with `rows`.
    public mutating func accumulate<R: Collection>(_ rows: [R]) -> [Double] where R.Element: BinaryFloatingPoint {
        precondition(rows.count == squaredGradientSums.count, "one row per task")
        return rows.indices.map { t in
            var excess = 0.0
            var j = 0
            for value in rows[t] {
                let g = Double(value)
                let square = g * g
                squaredGradientSums[t][j] += square
                excess += square / (squaredGradientSums[t][j] + Self.hessianEpsilon).squareRoot()
                j += 1
            }
            precondition(j == squaredGradientSums[t].count, "the number of parameters changed")
            return excess
        }
    }

    /// One step: updates the state with the task gradients and returns the weights to apply.
    public mutating func step<R: Collection>(_ rows: [R]) -> [Double] where R.Element: BinaryFloatingPoint {
        var excess = accumulate(rows)
        if steps < warmupSteps {
            for t in excess.indices { warmupSums[t] += excess[t] }
            steps += 1
            return weights
        }
        steps += 1
        if let baseline {
            excess = zip(excess, baseline).map { $0 / ($1 + Self.baselineEpsilon) }
        } else if warmupSteps > 0 {
            let mean = warmupSums.map { $0 / Double(warmupSteps) }
            baseline = mean
            excess = zip(excess, mean).map { $0 / ($1 + Self.baselineEpsilon) }
        } else {
            baseline = excess
        }
        let logits = zip(weights, excess).map { Foundation.log($0) + $1 * stepSize }
        let top = logits.max()!
        let exponentials = logits.map { Foundation.exp($0 - top) }
        let total = exponentials.reduce(0, +)
        weights = exponentials.map { $0 / total }
        return weights
    }
}
