import Foundation

/// FAMO (Liu, Feng, Stone & Liu, "FAMO: Fast Adaptive Multitask Optimization", NeurIPS 2023),
/// STRATEGIES.md §13j: the loss weights from the logits ξ and the logits' gradient from the
/// losses before and after the model's update.
///
/// With `z = softmax(ξ)`, `D_t = L_t − b_t + ε` and `c = (Σ_t z_t/D_t)^{-1}` (a constant), the
/// backpropagated scalar is `c Σ_t z_t log D_t`, so the task weights are **`w_t = c z_t / D_t`**
/// (Σw = 1: a convex combination of the task gradients). After the model's step, with the losses
/// `L⁺` on the same batch, `δ_t = log D_t − log D⁺_t` and the logits' gradient is
/// **`∇_ξ = J_softmax(ξ)ᵀ δ = z ⊙ (δ − (zᵀδ)·1)`**, which the references feed to Adam
/// (lr 0.025, L2 weight decay γ = 1e-3): a task whose log-loss fell more than the z-average loses
/// weight. ``plainStep(logits:gradient:learningRate:weightDecay:)`` is the paper's Algorithm 1 step
/// `ξ ← ξ − β(∇_ξ + γξ)`.
public enum FAMOWeighting {
    /// The references' ε added to every shifted loss.
    public static let defaultEpsilon = 1e-8

    /// `softmax(ξ)`, with the maximum subtracted.
    public static func softmax(_ logits: [Double]) -> [Double] {
        let top = logits.max() ?? 0
        let e = logits.map { Foundation.exp($0 - top) }
        let total = e.reduce(0, +)
        return e.map { $0 / total }
    }

    /// The shifted losses `D_t = L_t − b_t + ε`, which must be positive.
    static func shifted(_ losses: [Double], offsets: [Double]?, epsilon: Double, function: String) throws -> [Double] {
        try MathValidation.taskCount(losses.count, function: function)
        let b = offsets ?? [Double](repeating: 0, count: losses.count)
        try MathValidation.length(b, losses.count, argument: "offsets", function: function)
        let d = zip(losses, b).map { $0 - $1 + epsilon }
        guard d.allSatisfy({ $0 > 0 && $0.isFinite }) else {
            throw StrategyMathError.invalidArgument(function: function,
                                                    reason: "FAMO needs every loss above its offset (L_t − b_t + ε > 0), got losses \(losses), offsets \(b)")
        }
        return d
    }

    /// The task weights `w_t = c z_t / D_t` and the value `c Σ z_t log D_t` of the scalar FAMO
    /// backpropagates.
    /// - Throws: `.lengthMismatch`, or `.invalidArgument` when a loss is not above its offset.
    public static func weights(logits: [Double], losses: [Double], offsets: [Double]? = nil,
                               epsilon: Double = defaultEpsilon) throws -> (weights: [Double], value: Double) {
        let function = "FAMOWeighting.weights"
        let d = try shifted(losses, offsets: offsets, epsilon: epsilon, function: function)
        try MathValidation.length(logits, losses.count, argument: "logits", function: function)
        let z = softmax(logits)
        let c = 1 / zip(z, d).reduce(0) { $0 + $1.0 / $1.1 }
        let weights = zip(z, d).map { c * $0 / $1 }
        let value = c * zip(z, d).reduce(0) { $0 + $1.0 * Foundation.log($1.1) }
        return (weights, value)
    }

    /// The logits' gradient `z ⊙ (δ − (zᵀδ)·1)`, `δ_t = log D_t − log D⁺_t`.
    /// - Throws: `.lengthMismatch`, or `.invalidArgument` when a loss is not above its offset.
    public static func logitGradient(logits: [Double], lossesBefore: [Double], lossesAfter: [Double],
                                     offsets: [Double]? = nil, epsilon: Double = defaultEpsilon) throws -> [Double] {
        let function = "FAMOWeighting.logitGradient"
        let before = try shifted(lossesBefore, offsets: offsets, epsilon: epsilon, function: function)
        let after = try shifted(lossesAfter, offsets: offsets, epsilon: epsilon, function: function)
        try MathValidation.length(after, before.count, argument: "lossesAfter", function: function)
        try MathValidation.length(logits, before.count, argument: "logits", function: function)
        let delta = zip(before, after).map { Foundation.log($0) - Foundation.log($1) }
        let z = softmax(logits)
        let mean = zip(z, delta).reduce(0) { $0 + $1.0 * $1.1 }
        return zip(z, delta).map { $0 * ($1 - mean) }
    }

    /// The paper's plain step `ξ − β(∇_ξ + γξ)`.
    public static func plainStep(logits: [Double], gradient: [Double], learningRate: Double, weightDecay: Double) -> [Double] {
        zip(logits, gradient).map { $0 - learningRate * ($1 + weightDecay * $0) }
    }
}
