import Foundation

/// The loss terms of uncertainty weighting (Kendall, Gal & Cipolla, "Multi-Task Learning Using
/// Uncertainty to Weigh Losses for Scene Geometry and Semantics", CVPR 2018), STRATEGIES.md §2,
/// as pure scalar functions of a task loss L and the task's learned parameter.
///
/// The parameter is `s = log σ²` for every form except `.tagLogStandardDeviation`, where it is
/// `u = log σ` (clipped). Every form exposes the term ℓ, the loss weight ∂ℓ/∂L the network sees,
/// and ∂ℓ/∂(parameter).
public enum UncertaintyWeightingForm: String, CaseIterable, Codable, Sendable {
    /// `ℓ = ½e^{−s}L + ½s` — the paper's regression (Gaussian) form; LibMTL and Auto-λ use it for
    /// every task. **The default.** Stationary at e^{s} = L (weight 1/(2L)).
    case regression
    /// `ℓ = e^{−s}L + ½s` — the paper's classification form (softmax with temperature σ²).
    /// Stationary at e^{s} = 2L (weight 1/(2L)).
    case classification
    /// `ℓ = e^{−s}L + s` — common in other repositories (drops the ½ factors). Stationary at e^{s} = L.
    case simplified
    /// `ℓ = L·e^{−2u} + u` with `u = log σ` clipped to [0.01, 10] (the TAG reference), u₀ = 1.
    /// The clip passes no gradient outside the interval (as `clip_by_value`).
    case tagLogStandardDeviation

    /// The form used when none is named.
    public static let `default` = UncertaintyWeightingForm.regression

    /// The clip interval of `.tagLogStandardDeviation`.
    public static let tagClipRange: ClosedRange<Double> = 0.01...10

    /// Reference initial values: LibMTL s₀ = −0.5 (Auto-λ uses −0.7); TAG u₀ = 1.
    public var defaultInitialValue: Double { self == .tagLogStandardDeviation ? 1 : -0.5 }

    /// ℓ(L, parameter).
    public func term(loss: Double, parameter: Double) -> Double {
        switch self {
        case .regression: return 0.5 * exp(-parameter) * loss + 0.5 * parameter
        case .classification: return exp(-parameter) * loss + 0.5 * parameter
        case .simplified: return exp(-parameter) * loss + parameter
        case .tagLogStandardDeviation:
            let u = clipped(parameter)
            return loss * exp(-2 * u) + u
        }
    }

    /// ∂ℓ/∂L, the weight of the task loss: ½e^{−s}, e^{−s}, e^{−s}, e^{−2u}.
    public func weight(parameter: Double) -> Double {
        switch self {
        case .regression: return 0.5 * exp(-parameter)
        case .classification, .simplified: return exp(-parameter)
        case .tagLogStandardDeviation: return exp(-2 * clipped(parameter))
        }
    }

    /// ∂ℓ/∂(parameter): −½e^{−s}L + ½, −e^{−s}L + ½, −e^{−s}L + 1, −2Le^{−2u} + 1 (0 when u is clipped).
    public func parameterGradient(loss: Double, parameter: Double) -> Double {
        switch self {
        case .regression: return -0.5 * exp(-parameter) * loss + 0.5
        case .classification: return -exp(-parameter) * loss + 0.5
        case .simplified: return -exp(-parameter) * loss + 1
        case .tagLogStandardDeviation:
            guard Self.tagClipRange.contains(parameter) else { return 0 }
            return -2 * loss * exp(-2 * parameter) + 1
        }
    }

    /// The parameter at which ∂ℓ/∂(parameter) = 0 for a fixed L > 0: log L, log 2L, log L,
    /// ½log 2L (before clipping).
    public func stationaryParameter(loss: Double) -> Double {
        switch self {
        case .regression, .simplified: return log(loss)
        case .classification: return log(2 * loss)
        case .tagLogStandardDeviation: return 0.5 * log(2 * loss)
        }
    }

    /// Σ_t ℓ_t over tasks.
    /// - Throws: `.lengthMismatch` when the arrays differ in length, `.tooFewTasks` when empty.
    public func total(losses: [Double], parameters: [Double]) throws -> Double {
        try MathValidation.taskCount(losses.count, function: "UncertaintyWeightingForm.total")
        try MathValidation.length(parameters, losses.count, argument: "parameters", function: "UncertaintyWeightingForm.total")
        return zip(losses, parameters).reduce(0) { $0 + term(loss: $1.0, parameter: $1.1) }
    }

    private func clipped(_ u: Double) -> Double { min(max(u, Self.tagClipRange.lowerBound), Self.tagClipRange.upperBound) }
}
