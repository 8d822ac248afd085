/// The small convex quadratic program `min_{x ≥ 0} ½ xᵀQx − cᵀx` (Q symmetric positive
/// semi-definite, T×T), solved exactly by the active-set method of Lawson & Hanson (*Solving Least
/// Squares Problems*, 1974, ch. 23, algorithm NNLS) in its normal-equation form.
///
/// The method keeps a passive set P (the coordinates allowed to be positive) and solves the
/// unconstrained problem on P, `Q_PP s = c_P`, exactly; a coordinate enters P when its multiplier
/// `w_j = c_j − (Qx)_j` is positive, and leaves when the step toward s would make it negative. It
/// stops at a point that satisfies the KKT conditions `x ≥ 0`, `w ≤ 0`, `x_j w_j = 0` up to rounding
/// — an exact optimum, not an approximation that depends on a step size or a stop rule (unlike
/// Frank-Wolfe). It terminates after finitely many steps in exact arithmetic; a cap guards against
/// cycling in floating point, and ``Solution/converged`` says whether the cap was hit.
///
/// Several strategies reduce to this problem: the min-norm point of MGDA (see
/// `MinimumNormSolver.exact`), and the dual-cone projections of UPGrad and DualProj
/// (`DualConeProjection`).
public enum NonnegativeQuadraticProgram {
    /// An answer.
    public struct Solution: Equatable, Sendable {
        /// The minimiser x ≥ 0.
        public var x: [Double]
        /// Active-set changes (coordinates entering or leaving the passive set).
        public var iterations: Int
        /// Whether the KKT conditions hold to the tolerance at the answer (false only when the
        /// iteration cap stopped the method).
        public var converged: Bool
        /// `max_j max(w_j, 0)` over all j and `max |w_j|` over passive j: how far the answer is from
        /// the KKT conditions, relative to the problem's scale.
        public var kktResidual: Double
    }

    /// Solves `min_{x ≥ 0} ½ xᵀQx − cᵀx`.
    /// - Parameters:
    ///   - q: Q, T×T symmetric positive semi-definite.
    ///   - c: the linear term, length T.
    ///   - maximumIterations: a cap on active-set changes (default 10·T + 10; Lawson & Hanson use 3T).
    /// - Throws: malformed-matrix errors, `.lengthMismatch` for c.
    public static func solve(q: [[Double]], c: [Double], maximumIterations: Int? = nil) throws -> Solution {
        let function = "NonnegativeQuadraticProgram.solve"
        let t = try MathValidation.squareMatrix(q, function: function)
        try MathValidation.length(c, t, argument: "c", function: function)
        guard c.allSatisfy({ $0.isFinite }) else {
            throw StrategyMathError.invalidArgument(function: function, reason: "c contains a non-finite entry")
        }
        var scale = 0.0
        for i in 0..<t { scale = max(scale, abs(q[i][i])) }
        let cScale = c.reduce(0) { max($0, abs($1)) }
        let cap = maximumIterations ?? 10 * t + 10
        var x = [Double](repeating: 0, count: t)
        var passive = [Bool](repeating: false, count: t)
        var iterations = 0

        func multipliers() -> [Double] {
            (0..<t).map { j in c[j] - (0..<t).reduce(0) { $0 + q[j][$1] * x[$1] } }
        }
        func subproblem() -> [Double] {
            let indices = (0..<t).filter { passive[$0] }
            var s = [Double](repeating: 0, count: t)
            guard !indices.isEmpty else { return s }
            let reduced = indices.map { i in indices.map { q[i][$0] } }
            let rhs = indices.map { c[$0] }
            let solution: [Double]
            if let cholesky = try? LinearSystem.solveSymmetricPositiveDefinite(reduced, rhs) {
                solution = cholesky
            } else {
                // Q_PP singular (dependent directions, or Q only semi-definite): the least-norm
                // solution by the pseudo-inverse solves the reduced problem as well.
                let inverse = (try? SymmetricEigendecomposition(reduced).pseudoInverse(relativeTolerance: 1e-12))
                    ?? reduced.map { $0.map { _ in 0 } }
                solution = inverse.map { row in zip(row, rhs).reduce(0) { $0 + $1.0 * $1.1 } }
            }
            for (k, i) in indices.enumerated() { s[i] = solution[k] }
            return s
        }

        // Multipliers below this are rounding: a few hundred ulps of the largest term of w = c − Qx.
        func tolerance() -> Double { 1e-13 * Double(t) * max(cScale + scale * x.reduce(0) { max($0, $1) }, 1e-300) }

        var converged = false
        var w = multipliers()
        outer: while true {
            var entering = -1
            let threshold = tolerance()
            for j in 0..<t where !passive[j] && w[j] > threshold && (entering < 0 || w[j] > w[entering]) { entering = j }
            if entering < 0 { converged = true; break }
            guard iterations < cap else { break }
            passive[entering] = true
            iterations += 1
            var s = subproblem()
            // Lawson & Hanson's safeguard: the entering coordinate must come out positive; if
            // rounding says otherwise, it cannot improve the objective — stop at the KKT point.
            if s[entering] <= 0 {
                passive[entering] = false
                converged = true
                break
            }
            while (0..<t).contains(where: { passive[$0] && s[$0] <= 0 }) {
                guard iterations < cap else { break outer }
                iterations += 1
                var step = 1.0
                for i in 0..<t where passive[i] && s[i] <= 0 { step = min(step, x[i] / (x[i] - s[i])) }
                for i in 0..<t { x[i] += step * (s[i] - x[i]) }
                for i in 0..<t where passive[i] && x[i] <= 1e-15 * max(1, x.reduce(0) { max($0, $1) }) {
                    passive[i] = false
                    x[i] = 0
                }
                s = subproblem()
            }
            for i in 0..<t { x[i] = passive[i] ? s[i] : 0 }
            w = multipliers()
        }
        w = multipliers()
        var residual = 0.0
        for j in 0..<t { residual = max(residual, passive[j] ? abs(w[j]) : max(w[j], 0)) }
        let relative = residual / max(cScale + scale * x.reduce(0) { max($0, $1) }, 1e-300)
        return Solution(x: x, iterations: iterations, converged: converged, kktResidual: relative)
    }
}
