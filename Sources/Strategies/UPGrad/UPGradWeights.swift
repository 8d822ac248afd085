/// UPGrad (Quinton & Rey, "Jacobian Descent for Multi-Objective Optimization", 2024; torchjd
/// `UPGrad`), STRATEGIES.md §13h, in Gram form.
///
/// Every task gradient is projected onto the dual cone of all of them and the projections are
/// combined with a preference p (default 1/T): `d = Σ_i p_i π(g_i)`. With
/// ``DualConeProjection`` `π(Gᵀ p_i e_i) = Gᵀ v*(p_i e_i)`, so the weights are
/// `w = Σ_i v*(p_i e_i)` (T small QPs) and `d = Σ_t w_t g_t`; by construction `G d ≥ 0` — no task's
/// first-order loss increases. When no pair conflicts (`M_ij ≥ 0`) every projection is the
/// gradient itself and UPGrad is the p-weighted mean; for T = 2 with a conflict it is the mean of
/// PCGrad's projections.
public enum UPGradWeights {
    /// An answer.
    public struct Solution: Equatable, Sendable {
        /// w (d = Σ w_t g_t).
        public var weights: [Double]
        /// Whether all T projections met their KKT conditions.
        public var converged: Bool
    }

    /// The UPGrad weights.
    /// - Parameters:
    ///   - gram: M.
    ///   - preference: p, non-negative; nil means 1/T.
    ///   - numerics: `.exact` (default) or torchjd's `.peer` regularisation.
    /// - Throws: malformed-matrix errors, `.lengthMismatch`/`.invalidArgument` for p.
    public static func weights(gram: [[Double]], preference: [Double]? = nil,
                               numerics: DualConeProjection.Numerics = .exact) throws -> Solution {
        let function = "UPGradWeights.weights"
        let t = try MathValidation.squareMatrix(gram, function: function)
        let p = preference ?? [Double](repeating: 1 / Double(t), count: t)
        try MathValidation.length(p, t, argument: "preference", function: function)
        guard p.allSatisfy({ $0 >= 0 && $0.isFinite }) else {
            throw StrategyMathError.invalidArgument(function: function, reason: "the preference must be non-negative and finite, got \(p)")
        }
        var total = [Double](repeating: 0, count: t)
        var converged = true
        for i in 0..<t {
            var u = [Double](repeating: 0, count: t)
            u[i] = p[i]
            let projection = try DualConeProjection.weights(gram: gram, lowerBounds: u, numerics: numerics)
            converged = converged && projection.converged
            for k in 0..<t { total[k] += projection.weights[k] }
        }
        return Solution(weights: total, converged: converged)
    }
}
