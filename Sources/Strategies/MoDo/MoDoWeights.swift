/// MoDo's task weights (Chen, Fernando, Ying & Chen, "Three-Way Trade-Off in Multi-Objective
/// Learning: Optimization, Generalization and Conflict-Avoidance", NeurIPS 2023 / JMLR 2024;
/// TorchJD `MoDoWeighting`, LibMTL `MoDo`): one projected gradient step of λ on `½‖Jλ‖² + ½ρ‖λ‖²`
/// per training step, with the unbiased cross-batch matrix `A = J_ξ J_ξ'ᵀ`:
/// **`λ ← Π_Δ(λ − γ(Aλ + ρλ))`** (λ starts at 1/T and carries over).
public struct MoDoWeights: Equatable, Sendable {
    public let gamma: Double
    public let rho: Double
    /// λ, on the simplex.
    public private(set) var weights: [Double]

    public init(taskCount: Int, gamma: Double = 0.1, rho: Double = 0.1) {
        self.init(gamma: gamma, rho: rho, weights: [Double](repeating: 1 / Double(taskCount), count: taskCount))
    }

    /// Restores a state (for checkpoints).
    public init(gamma: Double, rho: Double, weights: [Double]) {
        self.gamma = gamma
        self.rho = rho
        self.weights = weights
    }

    /// One step from A (T×T): updates and returns λ.
    /// - Throws: malformed-matrix errors.
    public mutating func step(crossGram a: [[Double]]) throws -> [Double] {
        let t = try MathValidation.squareMatrix(a, function: "MoDoWeights.step")
        precondition(t == weights.count, "one weight per task")
        let gradient = (0..<t).map { i in (0..<t).reduce(0) { $0 + a[i][$1] * weights[$1] } + rho * weights[i] }
        weights = SimplexProjection.project((0..<t).map { weights[$0] - gamma * gradient[$0] })
        return weights
    }
}
