import Foundation

/// The scale-invariant / geometric-mean losses (STRATEGIES.md §13l): loss-only, one backward, no
/// state, cost = EW. Four variants are in use; each is a scalar S(L) whose gradient weights the
/// task gradients by `w_t = ∂S/∂L_t`:
///
/// | variant | S | w_t | per-task scaling `L_t → s_t L_t` |
/// |---|---|---|---|
/// | ``Variant/logSum`` (Nash-MTL's `scaleinvls`) | `Σ_t log L_t` | `1/L_t` | d unchanged |
/// | ``Variant/geometricMeanProduct`` (LibMTL `GLS`) | `(Π_t L_t)^{1/T}` | `GM/(T L_t)` | direction unchanged, norm × `(Π s)^{1/T}` |
/// | ``Variant/geometricMean`` (torchjd `GeometricMean`) | `exp(mean_t log L_t)` | `GM/(T L_t)` | as GLS |
/// | ``Variant/logOnePlus`` (Aligned-MTL's `si`) | `Σ_t log(1 + L_t)` | `1/(1 + L_t)` | not invariant |
///
/// GLS and torchjd's geometric mean have the same value and gradient — GLS forms the product
/// directly (it under/overflows with many tasks or extreme losses; computed here as the mean of
/// logs), and both are the log-sum direction rescaled by `GM/T`. LibMTL's GLS *reports*
/// `L_t/(T·Π L)` as its weights, which is not the effective weight `GM/(T L_t)`.
public enum ScaleInvariantLoss {
    public enum Variant: String, CaseIterable, Sendable {
        /// (a) `Σ log L_t` — exactly invariant to per-task loss scales.
        case logSum = "log-sum"
        /// (b) LibMTL's GLS, `(Π L_t)^{1/T}`.
        case geometricMeanProduct = "gls"
        /// (c) torchjd's `GeometricMean`, `exp(mean log L_t)` (value and gradient of (b)).
        case geometricMean = "geometric-mean"
        /// (d) `Σ log(1 + L_t)`.
        case logOnePlus = "log-one-plus"
    }

    /// The value S and the weights `w_t = ∂S/∂L_t`.
    /// - Throws: `.tooFewTasks`; `.invalidArgument` for a non-positive loss (a–c) or a loss ≤ −1 (d).
    public static func evaluate(losses: [Double], variant: Variant) throws -> (value: Double, weights: [Double]) {
        let function = "ScaleInvariantLoss.evaluate"
        try MathValidation.taskCount(losses.count, function: function)
        let t = Double(losses.count)
        switch variant {
        case .logOnePlus:
            guard losses.allSatisfy({ $0 > -1 && $0.isFinite }) else {
                throw StrategyMathError.invalidArgument(function: function, reason: "log(1 + L) needs every loss > −1, got \(losses)")
            }
            return (losses.reduce(0) { $0 + Foundation.log1p($1) }, losses.map { 1 / (1 + $0) })
        case .logSum, .geometricMeanProduct, .geometricMean:
            guard losses.allSatisfy({ $0 > 0 && $0.isFinite }) else {
                throw StrategyMathError.invalidArgument(function: function, reason: "variant '\(variant.rawValue)' needs every loss > 0, got \(losses)")
            }
            let logs = losses.map { Foundation.log($0) }
            if variant == .logSum { return (logs.reduce(0, +), losses.map { 1 / $0 }) }
            let mean = Foundation.exp(logs.reduce(0, +) / t)
            return (mean, losses.map { mean / (t * $0) })
        }
    }
}
