import Foundation

/// DB-MTL's gradient balancing (Lin, Jiang, Ye, Zhang, Chen, Chen, Liu & Kwok, "Dual-Balancing for
/// Multi-Task Learning", arXiv 2308.12029, 2023; LibMTL `DB_MTL`) on the gradients of the
/// log-losses.
///
/// Loss-scale balancing replaces L_t by log(L_t + 1e-8), whose gradient is `h_t = g_t/(L_t + 1e-8)`.
/// Gradient-magnitude balancing keeps an exponential moving average of them, with LibMTL's
/// step-dependent rate `β_k = β/k^σ` (k = 1, 2, …) and no bias correction (the buffer starts at 0):
/// **`m_t ← h_t + β_k (m_t − h_t)`**, and rescales every averaged gradient to the largest norm:
/// **`d = Σ_t (max_s ‖m_s‖)/(‖m_t‖ + 1e-8) m_t`**.
public struct DualBalancing: Equatable, Sendable {
    public let beta: Double
    public let betaDecay: Double
    /// m, one row per task.
    public private(set) var buffer: [[Double]]
    /// Steps taken (k of the last step).
    public private(set) var steps: Int

    public static let lossEpsilon = 1e-8
    public static let normEpsilon = 1e-8

    public init(taskCount: Int, parameterCount: Int, beta: Double = 0.9, betaDecay: Double = 0) {
        self.init(beta: beta, betaDecay: betaDecay,
                  buffer: [[Double]](repeating: [Double](repeating: 0, count: parameterCount), count: taskCount), steps: 0)
    }

    /// Restores a state (for checkpoints).
    public init(beta: Double, betaDecay: Double, buffer: [[Double]], steps: Int) {
        self.beta = beta
        self.betaDecay = betaDecay
        self.buffer = buffer
        self.steps = steps
    }

    /// One step on the log-loss gradients h (T rows): updates m and returns d and the scales α_t.
    public mutating func step(logLossGradients rows: [[Double]]) -> (direction: [Double], scales: [Double]) {
        precondition(rows.count == buffer.count, "one row per task")
        steps += 1
        let rate = beta / Foundation.pow(Double(steps), betaDecay)
        var norms = [Double](repeating: 0, count: rows.count)
        for t in rows.indices {
            precondition(rows[t].count == buffer[t].count, "the number of parameters changed")
            var squared = 0.0
            for j in rows[t].indices {
                let value = rows[t][j] + rate * (buffer[t][j] - rows[t][j])
                buffer[t][j] = value
                squared += value * value
            }
            norms[t] = squared.squareRoot()
        }
        let largest = norms.max() ?? 0
        let scales = norms.map { largest / ($0 + Self.normEpsilon) }
        var direction = [Double](repeating: 0, count: buffer.first?.count ?? 0)
        for t in buffer.indices where scales[t] != 0 {
            for j in direction.indices { direction[j] += scales[t] * buffer[t][j] }
        }
        return (direction, scales)
    }
}
