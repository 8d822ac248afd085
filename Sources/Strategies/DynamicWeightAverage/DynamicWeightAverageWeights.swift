import Foundation

/// Dynamic Weight Average (Liu, Johns & Davison, "End-to-End Multi-Task Learning with Attention",
/// CVPR 2019), STRATEGIES.md §3.
///
/// For epoch e (0-based): λ_t = 1 when e < 2; otherwise `r_t = L̄_t(e−1)/L̄_t(e−2)` and
/// `λ_t = T·exp(r_t/τ) / Σ_i exp(r_i/τ)` (Σλ = T), τ = 2 by default (paper, LibMTL, Auto-λ).
public enum DynamicWeightAverageWeights {
    /// The default temperature τ.
    public static let defaultTemperature = 2.0

    /// λ from the loss ratios r: `T·softmax(r/τ)`.
    /// - Throws: `.tooFewTasks` for no task, `.invalidArgument` for τ ≤ 0 or non-finite ratios.
    public static func weights(ratios: [Double], temperature: Double = defaultTemperature) throws -> [Double] {
        let function = "DynamicWeightAverageWeights.weights(ratios:)"
        try MathValidation.taskCount(ratios.count, function: function)
        guard temperature > 0, ratios.allSatisfy({ $0.isFinite }) else {
            throw StrategyMathError.invalidArgument(function: function, reason: "needs τ > 0 and finite ratios (τ = \(temperature), r = \(ratios))")
        }
        let scaled = ratios.map { $0 / temperature }
        let top = scaled.max()!
        let exponentials = scaled.map { exp($0 - top) }
        let total = exponentials.reduce(0, +)
        return exponentials.map { Double(ratios.count) * $0 / total }
    }

    /// λ for `epoch` from the per-epoch mean losses `history[e][t]` of the finished epochs
    /// (`history.count ≥ epoch` when epoch ≥ 2; only epochs e−1 and e−2 are read).
    /// - Throws: `.invalidArgument` for a missing epoch or a non-positive mean loss in the ratio's
    ///   denominator; `.lengthMismatch` when the two epochs list different task counts.
    public static func weights(epochMeanLosses history: [[Double]], epoch: Int, taskCount: Int,
                               temperature: Double = defaultTemperature) throws -> [Double] {
        let function = "DynamicWeightAverageWeights.weights(epochMeanLosses:)"
        try MathValidation.taskCount(taskCount, function: function)
        guard epoch >= 2 else { return [Double](repeating: 1, count: taskCount) }
        guard history.count >= epoch else {
            throw StrategyMathError.invalidArgument(function: function,
                                                    reason: "epoch \(epoch) needs the means of epochs \(epoch - 2) and \(epoch - 1); \(history.count) recorded")
        }
        let previous = history[epoch - 1], before = history[epoch - 2]
        try MathValidation.length(previous, taskCount, argument: "history[\(epoch - 1)]", function: function)
        try MathValidation.length(before, taskCount, argument: "history[\(epoch - 2)]", function: function)
        guard before.allSatisfy({ $0 > 0 }) else {
            throw StrategyMathError.invalidArgument(function: function, reason: "mean losses must be positive, got \(before)")
        }
        return try weights(ratios: zip(previous, before).map { $0 / $1 }, temperature: temperature)
    }
}
