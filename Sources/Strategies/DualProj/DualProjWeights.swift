/// DualProj (torchjd `DualProj`; the projection of GEM, Lopez-Paz & Ranzato, NeurIPS 2017,
/// applied to the mean), STRATEGIES.md §13i, in Gram form.
///
/// The p-weighted mean is projected onto the dual cone of the task gradients: `d = π(Gᵀp)`, i.e.
/// `w = v*(p) = argmin_{v ≥ p} vᵀMv` (one QP, ``DualConeProjection``) and `d = Σ_t w_t g_t`. If the
/// mean conflicts with no task (`M p ≥ 0`) then `w = p` exactly.
public enum DualProjWeights {
    /// The DualProj weights (and whether the QP met its KKT conditions).
    /// - Parameters:
    ///   - gram: M.
    ///   - preference: p, non-negative; nil means 1/T.
    ///   - numerics: `.exact` (default) or torchjd's `.peer` regularisation.
    /// - Throws: malformed-matrix errors, `.lengthMismatch`/`.invalidArgument` for p.
    public static func weights(gram: [[Double]], preference: [Double]? = nil,
                               numerics: DualConeProjection.Numerics = .exact) throws -> DualConeProjection.Solution {
        let function = "DualProjWeights.weights"
        let t = try MathValidation.squareMatrix(gram, function: function)
        let p = preference ?? [Double](repeating: 1 / Double(t), count: t)
        try MathValidation.length(p, t, argument: "preference", function: function)
        guard p.allSatisfy({ $0 >= 0 && $0.isFinite }) else {
            throw StrategyMathError.invalidArgument(function: function, reason: "the preference must be non-negative and finite, got \(p)")
        }
        return try DualConeProjection.weights(gram: gram, lowerBounds: p, numerics: numerics)
    }
}
