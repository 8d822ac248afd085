import Foundation

/// The decoder stage of IAL (Li et al., 2024), STRATEGIES.md §12: every task t (primary and
/// auxiliary) has s_t = log σ_t², and heads and σ minimise `Σ_t [L_t/(2σ_t²) + log σ_t]
/// = Σ_t [½e^{−s_t}L_t + ½s_t]` — the regression form of uncertainty weighting
/// (`UncertaintyWeightingForm.regression`): head t receives weight `1/(2σ_t²)`.
public enum ImpartialAuxiliaryDecoderWeights {
    /// s = log σ² = 2 log σ for standard deviations σ > 0.
    public static func logVariances(standardDeviations: [Double]) throws -> [Double] {
        guard standardDeviations.allSatisfy({ $0 > 0 }) else {
            throw StrategyMathError.invalidArgument(function: "ImpartialAuxiliaryDecoderWeights.logVariances",
                                                    reason: "standard deviations must be positive")
        }
        return standardDeviations.map { 2 * log($0) }
    }

    /// The head weights 1/(2σ²) = ½e^{−s}.
    public static func headWeights(logVariances: [Double]) -> [Double] {
        logVariances.map { UncertaintyWeightingForm.regression.weight(parameter: $0) }
    }

    /// ∂/∂s of each task's decoder term: −½e^{−s}L + ½.
    public static func logVarianceGradients(losses: [Double], logVariances: [Double]) throws -> [Double] {
        try MathValidation.length(logVariances, losses.count, argument: "logVariances",
                                  function: "ImpartialAuxiliaryDecoderWeights.logVarianceGradients")
        return zip(losses, logVariances).map { UncertaintyWeightingForm.regression.parameterGradient(loss: $0, parameter: $1) }
    }
}
