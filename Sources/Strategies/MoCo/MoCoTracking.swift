import Foundation

/// MoCo's tracked gradients and weights (Fernando, Shen, Liu, Chaudhury, Murugesan & Chen,
/// "Mitigating Gradient Bias in Multi-objective Learning: A Provably Convergent Approach",
/// ICLR 2023; LibMTL `MoCo`, after the authors' code).
///
/// At step k = 1, 2, …, with the task gradients rescaled to their loss, `ĝ_t = L_t g_t/(‖g_t‖ + 1e-8)`:
/// the tracking variables **`y_t ← y_t − β_k (y_t − ĝ_t)`**, `β_k = β/k^{σ_β}` (y starts at 0), the
/// weights **`λ ← softmax(λ − γ_k (Y Yᵀ + ρ I) λ)`**, `γ_k = γ/k^{σ_γ}` (λ starts at 1/T), and the
/// direction **`d = Yᵀ λ`**.
public struct MoCoTracking: Equatable, Sendable {
    public struct Settings: Equatable, Sendable {
        public var beta = 0.5, betaDecay = 0.5, gamma = 0.1, gammaDecay = 0.5, rho = 0.0
        public init(beta: Double = 0.5, betaDecay: Double = 0.5, gamma: Double = 0.1, gammaDecay: Double = 0.5, rho: Double = 0) {
            self.beta = beta
            self.betaDecay = betaDecay
            self.gamma = gamma
            self.gammaDecay = gammaDecay
            self.rho = rho
        }
    }

    public let settings: Settings
    /// Y, one row per task.
    public private(set) var tracked: [[Double]]
    /// λ.
    public private(set) var weights: [Double]
    public private(set) var steps: Int

    public static let normEpsilon = 1e-8

    public init(taskCount: Int, parameterCount: Int, settings: Settings = Settings()) {
        self.init(settings: settings, tracked: [[Double]](repeating: [Double](repeating: 0, count: parameterCount), count: taskCount),
                  weights: [Double](repeating: 1 / Double(taskCount), count: taskCount), steps: 0)
    }

    /// Restores a state (for checkpoints).
    public init(settings: Settings, tracked: [[Double]], weights: [Double], steps: Int) {
        self.settings = settings
        self.tracked = tracked
        self.weights = weights
        self.steps = steps
    }

    /// One step on the raw task gradients and losses: updates Y and λ, returns d = Yᵀλ.
    public mutating func step(gradients rows: [[Double]], losses: [Double]) -> [Double] {
        precondition(rows.count == tracked.count && losses.count == tracked.count, "one row and one loss per task")
        steps += 1
        let k = Double(steps)
        let beta = settings.beta / Foundation.pow(k, settings.betaDecay)
        let gamma = settings.gamma / Foundation.pow(k, settings.gammaDecay)
        let count = rows.count
        for t in 0..<count {
            precondition(rows[t].count == tracked[t].count, "the number of parameters changed")
            let norm = rows[t].reduce(0) { $0 + $1 * $1 }.squareRoot()
            let scale = losses[t] / (norm + Self.normEpsilon)
            for j in rows[t].indices { tracked[t][j] -= beta * (tracked[t][j] - rows[t][j] * scale) }
        }
        var gram = [[Double]](repeating: [Double](repeating: 0, count: count), count: count)
        for i in 0..<count {
            for j in i..<count {
                var dot = 0.0
                for p in tracked[i].indices { dot += tracked[i][p] * tracked[j][p] }
                gram[i][j] = dot
                gram[j][i] = dot
            }
        }
        let logits = (0..<count).map { i in
            weights[i] - gamma * ((0..<count).reduce(0) { $0 + gram[i][$1] * weights[$1] } + settings.rho * weights[i])
        }
        let top = logits.max()!
        let exponentials = logits.map { Foundation.exp($0 - top) }
        let total = exponentials.reduce(0, +)
        weights = exponentials.map { $0 / total }
        var direction = [Double](repeating: 0, count: tracked.first?.count ?? 0)
        for t in 0..<count { for j in direction.indices { direction[j] += weights[t] * tracked[t][j] } }
        return direction
    }
}
