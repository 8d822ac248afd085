import Foundation

/// The task-weight update of GradNorm (Chen, Badrinarayanan, Lee & Rabinovich, "GradNorm:
/// Gradient Normalization for Adaptive Loss Balancing in Deep Multitask Networks", ICML 2018),
/// STRATEGIES.md §4, as pure functions of the per-task gradient norms at the chosen shared layer W.
///
/// With `n_t = ‖∇_W L_t‖` and weights w: `G_t = w_t n_t`, `Ḡ = mean G`, inverse training rates
/// `r_t = L̃_t / mean L̃` (`L̃_t = L_t/L_t(0)`), targets `C_t = Ḡ r_t^α` (constants),
/// `L_grad = Σ_t |G_t − C_t|`, `∂L_grad/∂w_t = sign(G_t − C_t)·n_t`. After the optimiser step on w,
/// renormalise `w ← T·w/Σw` (the TAG reference first clips each w_t to [0.1, 10]). The network
/// uses the weights from before the update.
public enum GradNormWeightUpdate {
    /// The quantities of one GradNorm evaluation.
    public struct Evaluation: Equatable, Sendable {
        /// G_t = w_t n_t.
        public var weightedNorms: [Double]
        /// Ḡ.
        public var meanWeightedNorm: Double
        /// r_t.
        public var inverseTrainingRates: [Double]
        /// C_t = Ḡ r_t^α.
        public var targets: [Double]
        /// L_grad.
        public var gradNormLoss: Double
        /// ∂L_grad/∂w_t = sign(G_t − C_t)·n_t (sign(0) = 0).
        public var weightGradient: [Double]
    }

    /// The TAG reference's clip interval for w before renormalising.
    public static let tagClipRange: ClosedRange<Double> = 0.1...10

    /// Evaluates GradNorm at the current weights.
    /// - Parameters:
    ///   - weights: w (positive).
    ///   - gradientNorms: n_t = ‖∇_W L_t‖ (unweighted).
    ///   - initialLosses: L_t(0) (the first step's losses in the paper and TAG; LibMTL: epoch-0 means).
    ///   - losses: L_t now.
    ///   - asymmetry: α (1.5 in LibMTL; 0 equalises the gradient norms).
    /// - Throws: `.lengthMismatch`, `.tooFewTasks`, or `.invalidArgument` for non-positive L(0) or L.
    public static func evaluate(weights: [Double], gradientNorms: [Double], initialLosses: [Double],
                                losses: [Double], asymmetry: Double = 1.5) throws -> Evaluation {
        let function = "GradNormWeightUpdate.evaluate"
        try MathValidation.taskCount(weights.count, function: function)
        try MathValidation.length(gradientNorms, weights.count, argument: "gradientNorms", function: function)
        try MathValidation.length(initialLosses, weights.count, argument: "initialLosses", function: function)
        try MathValidation.length(losses, weights.count, argument: "losses", function: function)
        guard initialLosses.allSatisfy({ $0 > 0 }), losses.allSatisfy({ $0 > 0 }) else {
            throw StrategyMathError.invalidArgument(function: function, reason: "losses and initial losses must be positive")
        }
        let t = Double(weights.count)
        let weighted = zip(weights, gradientNorms).map { $0 * $1 }
        let mean = weighted.reduce(0, +) / t
        let relative = zip(losses, initialLosses).map { $0 / $1 }
        let relativeMean = relative.reduce(0, +) / t
        let rates = relative.map { $0 / relativeMean }
        let targets = rates.map { mean * pow($0, asymmetry) }
        let loss = zip(weighted, targets).reduce(0) { $0 + abs($1.0 - $1.1) }
        let gradient = zip(zip(weighted, targets), gradientNorms).map { pair, n -> Double in
            let difference = pair.0 - pair.1
            return (difference > 0 ? 1 : (difference < 0 ? -1 : 0)) * n
        }
        return Evaluation(weightedNorms: weighted, meanWeightedNorm: mean, inverseTrainingRates: rates,
                          targets: targets, gradNormLoss: loss, weightGradient: gradient)
    }

    /// `T·w/Σw`, after clipping each weight to `clipRange` when given (TAG: `tagClipRange`).
    /// - Throws: `.invalidArgument` when Σw ≤ 0.
    public static func renormalized(weights: [Double], clipRange: ClosedRange<Double>? = nil) throws -> [Double] {
        let clipped = clipRange.map { range in weights.map { min(max($0, range.lowerBound), range.upperBound) } } ?? weights
        let total = clipped.reduce(0, +)
        guard total > 0 else {
            throw StrategyMathError.invalidArgument(function: "GradNormWeightUpdate.renormalized",
                                                    reason: "the weights sum to \(total); cannot renormalise")
        }
        return clipped.map { Double(weights.count) * $0 / total }
    }
}
