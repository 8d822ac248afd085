extension MinimumNormSolver {
    /// The exact min-norm point `α = argmin_{α ∈ Δ_T} αᵀMα` by an active-set method — the
    /// solver MGDA uses by default. Frank-Wolfe (``frankWolfe(gram:initialisation:maximumIterations:tolerance:referenceCompatible:)``)
    /// stalls on ill-conditioned Gram matrices (its step vanishes long before the optimum: with
    /// T = 5 and eigenvalues spread ×500 it stops with the direction 20–30 % off); this one does not.
    ///
    /// **Reduction.** The min-norm point of the convex hull of the v_t is, up to scale, the solution
    /// of the least-distance problem `min ‖x‖ s.t. v_tᵀx ≥ 1` (Lawson & Hanson 1974, ch. 23), i.e. of
    /// the non-negative least squares `min_{u ≥ 0} ‖Vᵀu‖² + (1ᵀu − 1)²`, in Gram form
    /// `min_{u ≥ 0} ½ uᵀ(M + 11ᵀ)u − 1ᵀu`, and `α = u / Σu`. Indeed the KKT conditions of the
    /// latter read `(Mu)_t = 1 − Σu` where `u_t > 0` and `≥` elsewhere, which after dividing by Σu are
    /// those of the min-norm problem (`(Mα)_t = ‖d‖²` on the support, `≥ ‖d‖²` off it). M is first
    /// divided by its mean diagonal, which leaves α unchanged and keeps `M + 11ᵀ` well scaled.
    /// The non-negative problem is solved exactly by ``NonnegativeQuadraticProgram``.
    ///
    /// - Returns: α on the simplex; `iterations` = active-set changes; `converged` = the KKT
    ///   conditions hold (false only when the active-set iteration cap was hit — report it).
    ///   M = 0 gives the uniform α (every point is optimal).
    /// - Throws: malformed-matrix errors.
    public static func exact(gram: [[Double]]) throws -> Solution {
        let t = try MathValidation.squareMatrix(gram, function: "MinimumNormSolver.exact")
        if t == 1 { return Solution(weights: [1], squaredNorm: gram[0][0], iterations: 0, converged: true) }
        let meanDiagonal = (0..<t).reduce(0) { $0 + gram[$1][$1] } / Double(t)
        guard meanDiagonal > 0 else {
            let uniform = [Double](repeating: 1 / Double(t), count: t)
            return Solution(weights: uniform, squaredNorm: quadraticForm(gram, uniform), iterations: 0, converged: true)
        }
        let q = (0..<t).map { i in (0..<t).map { j in gram[i][j] / meanDiagonal + 1 } }
        let answer = try NonnegativeQuadraticProgram.solve(q: q, c: [Double](repeating: 1, count: t))
        let total = answer.x.reduce(0, +)
        guard total > 0 else {
            // Not reachable for a PSD M (u = 0 is never optimal: its multipliers are all 1).
            throw StrategyMathError.noSolution(function: "MinimumNormSolver.exact", reason: "the active-set solution vanished")
        }
        let alpha = answer.x.map { $0 / total }
        return Solution(weights: alpha, squaredNorm: quadraticForm(gram, alpha), iterations: answer.iterations,
                        converged: answer.converged)
    }
}

extension MinimumNormSolver {
    /// Which algorithm solves the min-norm problem.
    public enum Method: String, CaseIterable, Sendable {
        /// ``exact(gram:)`` — the exact optimum (default).
        case activeSet = "active-set"
        /// ``frankWolfe(gram:initialisation:maximumIterations:tolerance:referenceCompatible:)`` —
        /// the paper's Algorithm 2 (250 iterations, stop 1e-5); stalls on ill-conditioned inputs.
        case frankWolfe = "frank-wolfe"
    }

    /// The min-norm point by `method`.
    /// - Parameters:
    ///   - initialisation: Frank-Wolfe's start (ignored by the active-set method).
    ///   - referenceClip: the MGDA reference's 0.999 / 0.001 instead of 1 / 0 in the clipped
    ///     two-task cases (`_min_norm_element_from2`, also LibMTL's) — T = 2 with either method,
    ///     and every Frank-Wolfe line search.
    /// - Throws: malformed-matrix errors.
    public static func solve(gram: [[Double]], method: Method = .activeSet, initialisation: Initialisation = .uniform,
                             referenceClip: Bool = false) throws -> Solution {
        switch method {
        case .frankWolfe:
            return try frankWolfe(gram: gram, initialisation: initialisation, referenceCompatible: referenceClip)
        case .activeSet:
            if gram.count == 2 && referenceClip {
                try MathValidation.squareMatrix(gram, function: "MinimumNormSolver.solve")
                let two = twoTask(a: gram[0][0], b: gram[0][1], c: gram[1][1], referenceCompatible: true)
                let weights = [two.weightOnFirst, 1 - two.weightOnFirst]
                return Solution(weights: weights, squaredNorm: quadraticForm(gram, weights), iterations: 0, converged: true)
            }
            return try exact(gram: gram)
        }
    }
}
