import Foundation

/// Nash-MTL (Navon, Shamsian, Achituve, Maron, Kawaguchi, Chechik & Fetaya, "Multi-Task Learning
/// as a Bargaining Game", ICML 2022), STRATEGIES.md §13c.
///
/// The bargaining weights are the α > 0 solving `M α = 1/α` element-wise, i.e. `α_t (g_t·d) = 1`
/// for `d = Σ α_t g_t`. They are the unique minimiser of the strictly convex
/// `f(α) = ½ αᵀMα − Σ_t log α_t` on α > 0 (∇f = Mα − 1/α), found here by damped Newton steps
/// (Hessian `M + diag(1/α²)`, positive definite) with a backtracking line search that keeps α > 0.
/// The reference's sequence of convex approximations (cvxpy) converges to the same root; the
/// reference stops at ‖Mα − 1/α‖ < 1e-3, this solver goes to `tolerance`.
public enum NashBargainingSolver {
    /// A Nash-MTL answer.
    public struct Solution: Equatable, Sendable {
        /// α > 0.
        public var weights: [Double]
        /// ‖Mα − 1/α‖_∞ at the answer.
        public var residual: Double
        /// Newton iterations used.
        public var iterations: Int
    }

    /// Solves `Mα = 1/α`, α > 0.
    /// - Parameters:
    ///   - gram: M.
    ///   - initialWeights: a warm start (e.g. the previous step's α, as the reference does); must be
    ///     positive. Default `α_t = 1/√M_tt` (exact when the gradients are orthogonal).
    ///   - tolerance: stop when ‖Mα − 1/α‖_∞ < tolerance · max(1, max_t 1/α_t).
    ///   - maximumIterations: Newton iteration cap.
    /// - Throws: malformed-matrix errors; `.noSolution` when a task gradient is zero or the
    ///   gradients admit no positive root (0 in the convex cone of the gradients — f is then
    ///   unbounded below) or the iteration cap is hit.
    public static func solve(gram: [[Double]], initialWeights: [Double]? = nil,
                             tolerance: Double = 1e-12, maximumIterations: Int = 200) throws -> Solution {
        let function = "NashBargainingSolver.solve"
        let t = try MathValidation.squareMatrix(gram, function: function)
        guard (0..<t).allSatisfy({ gram[$0][$0] > 0 }) else {
            throw StrategyMathError.noSolution(function: function, reason: "a task gradient is zero: α_t (g_t·d) = 1 has no solution")
        }
        var alpha: [Double]
        if let initialWeights {
            try MathValidation.length(initialWeights, t, argument: "initialWeights", function: function)
            guard initialWeights.allSatisfy({ $0 > 0 && $0.isFinite }) else {
                throw StrategyMathError.invalidArgument(function: function, reason: "initialWeights must be positive")
            }
            alpha = initialWeights
        } else {
            alpha = (0..<t).map { 1 / gram[$0][$0].squareRoot() }
        }
        func objective(_ a: [Double]) -> Double {
            0.5 * MinimumNormSolver.quadraticForm(gram, a) - a.reduce(0) { $0 + log($1) }
        }
        func residual(_ a: [Double]) -> [Double] {
            zip(MinimumNormSolver.matrixVector(gram, a), a).map { $0 - 1 / $1 }
        }
        var iterations = 0
        while true {
            let r = residual(alpha)
            let size = r.reduce(0) { max($0, abs($1)) }
            if size < tolerance * max(1, alpha.reduce(0) { max($0, 1 / $1) }) {
                return Solution(weights: alpha, residual: size, iterations: iterations)
            }
            guard iterations < maximumIterations else {
                throw StrategyMathError.noSolution(function: function,
                                                   reason: "no positive root of Mα = 1/α after \(iterations) Newton steps (residual \(size)); the gradients may have 0 in their convex cone")
            }
            iterations += 1
            var hessian = gram
            for i in 0..<t { hessian[i][i] += 1 / (alpha[i] * alpha[i]) }
            let step = try LinearSystem.solveSymmetricPositiveDefinite(hessian, r.map { -$0 })
            // Largest step keeping α > 0 (fraction to the boundary 0.99), then backtrack on f.
            var length = 1.0
            for i in 0..<t where step[i] < 0 { length = min(length, -0.99 * alpha[i] / step[i]) }
            let current = objective(alpha)
            let slope = zip(r, step).reduce(0) { $0 + $1.0 * $1.1 }
            var candidate = zip(alpha, step).map { $0 + length * $1 }
            // Armijo on f; near the root f is flat to rounding (its changes are ~r²), so a step
            // that shrinks the residual is accepted too.
            func residualSize(_ a: [Double]) -> Double { residual(a).reduce(0) { max($0, abs($1)) } }
            while objective(candidate) > current + 1e-4 * length * slope && residualSize(candidate) >= size && length > 1e-20 {
                length /= 2
                candidate = zip(alpha, step).map { $0 + length * $1 }
            }
            alpha = candidate
        }
    }
}
