/// Priority-Constrained Descent's direction ("Not All Objectives Are Born Equal: Priority-Constrained
/// Descent for Hierarchical Multi-Objective Optimization", TMLR 2026; TorchJD 0.18 `PCD`) in Gram form.
///
/// With the primary gradient first and the normalised gradients g̃_i = s_i g_i:
/// `d̃ = argmin_d ½‖d − g̃_1‖² s.t. g̃_jᵀd ≥ τ_j‖g̃_j‖² (j ≥ 2)`. Its dual is the non-negative QP
/// `min_{μ ≥ 0} ½ μᵀM̃_SS μ − μᵀ(τ ⊙ diag M̃_SS − M̃_S1)` (S the secondary tasks, M̃ = M ⊙ ssᵀ), and
/// `d̃ = g̃_1 + Σ_j μ_j g̃_j`; the output is d̃ rescaled to ‖g_1‖:
/// **`w = (1, μ) ⊙ s · ‖g_1‖/‖d̃‖`**. Infeasible constraints (possible from T = 3, e.g. two
/// anti-parallel secondary gradients) are dropped, leaving `d = g_1`; `g_1 = 0`, or d̃ = 0 up to the
/// rounding of M̃, gives d = 0.
public enum PriorityConstrainedDirection {
    /// TorchJD's precision test: d̃ counts as 0 when ‖d̃‖² ≤ 10 ε (Σ|w̃_i|‖g̃_i‖)².
    public static let precision = 10 * Double.ulpOfOne

    /// The weights (primary first) from M (primary first), the scales s and τ (one per secondary task).
    /// - Throws: malformed-matrix errors, `.lengthMismatch` for the scales or τ.
    public static func weights(gram: [[Double]], scales: [Double], taus: [Double]) throws -> [Double] {
        let function = "PriorityConstrainedDirection.weights"
        let t = try MathValidation.squareMatrix(gram, function: function)
        try MathValidation.length(scales, t, argument: "scales", function: function)
        try MathValidation.length(taus, t - 1, argument: "taus", function: function)
        var result = [Double](repeating: 0, count: t)
        guard gram[0][0] > 0 else { return result }
        let normalized = (0..<t).map { i in (0..<t).map { j in gram[i][j] * scales[i] * scales[j] } }
        var w = [Double](repeating: 0, count: t)
        w[0] = 1
        if t > 1 {
            w = try multipliers(normalized, taus: taus) ?? w
        }
        var squaredNorm = 0.0
        for i in 0..<t { for j in 0..<t { squaredNorm += w[i] * normalized[i][j] * w[j] } }
        let magnitude = (0..<t).reduce(0) { $0 + abs(w[$1]) * max(normalized[$1][$1], 0).squareRoot() }
        guard squaredNorm > precision * magnitude * magnitude else { return result }
        let rescale = (gram[0][0] / squaredNorm).squareRoot()
        for i in 0..<t { result[i] = w[i] * scales[i] * rescale }
        return result
    }

    /// (1, μ) from the dual QP on the normalised Gram matrix; nil when the constraints are
    /// infeasible (the dual has no finite minimiser: the constraints are dropped).
    static func multipliers(_ g: [[Double]], taus: [Double]) throws -> [Double]? {
        let t = g.count
        let secondary = Array(1..<t)
        let q = secondary.map { i in secondary.map { g[i][$0] } }
        let c = secondary.enumerated().map { k, j in taus[k] * g[j][j] - g[j][0] }
        guard let solution = try? NonnegativeQuadraticProgram.solve(q: q, c: c), solution.converged,
              solution.x.allSatisfy({ $0.isFinite && $0 >= 0 }) else { return nil }
        let mu = solution.x
        // Primal feasibility of d̃ = g̃_1 + Σ μ_j g̃_j: g̃_jᵀd̃ ≥ τ_j‖g̃_j‖², up to 1e-9 of the largest ‖g̃_i‖².
        let tolerance = 1e-9 * (0..<t).reduce(0) { max($0, g[$1][$1]) }
        for (k, j) in secondary.enumerated() {
            let slack = g[j][0] + secondary.enumerated().reduce(0) { $0 + mu[$1.offset] * g[j][$1.element] } - taus[k] * g[j][j]
            if slack < -tolerance { return nil }
        }
        return [1] + mu
    }
}
