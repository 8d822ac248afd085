import Foundation

/// FairGrad (Ban & Ji, "Fair Resource Allocation in Multi-Task Learning", ICML 2024),
/// STRATEGIES.md §13k: the α-fair direction.
///
/// Treating each task's first-order decrease `u_t = g_t·d` as a resource and maximising the α-fair
/// utility `Σ_t u_t^{1−α}/(1−α)` (`Σ log u_t` at α = 1) gives `d = Σ_t w_t g_t` with the weights
/// the positive root of **`(M w)_t = w_t^{−1/α}`** for every t. α = 1 is Nash-MTL's equation
/// (`M w = 1/w`); α → ∞ tends to `M w = 1`, MGDA's direction when all its weights are positive.
///
/// The root is the unique minimiser of the strictly convex `f(w) = ½ wᵀMw − Σ_t φ(w_t)` on w > 0,
/// `φ' = w^{−1/α}` (φ = log w at α = 1, `w^{1−1/α}/(1 − 1/α)` otherwise), found by damped Newton steps
/// (Hessian `M + diag(w^{−1/α−1}/α)`, fraction-to-the-boundary 0.99, Armijo backtracking) on M
/// divided by its mean diagonal — the root of `sM` is `s^{−α/(1+α)}` times the root of M — to a
/// relative residual of `tolerance`. The references use `scipy.optimize.least_squares` from
/// `w = 1/T` (tolerances 1e-8), which converges to the same root.
public enum FairGradSolver {
    /// A FairGrad answer.
    public struct Solution: Equatable, Sendable {
        /// w > 0 (d = Σ w_t g_t).
        public var weights: [Double]
        /// `max_t |(Mw)_t w_t^{1/α} − 1|`: 0 at the exact root.
        public var residual: Double
        /// Newton iterations used.
        public var iterations: Int
    }

    /// Solves `(Mw)_t = w_t^{−1/α}`, w > 0.
    /// - Parameters:
    ///   - gram: M.
    ///   - alpha: α > 0 (LibMTL's default 1; every run script of the FairGrad reference uses 2).
    ///   - tolerance: stop when `max_t |(Mw)_t − w_t^{−1/α}| ≤ tolerance · max_t w_t^{−1/α}`.
    ///   - maximumIterations: Newton iteration cap.
    /// - Throws: malformed-matrix errors; `.invalidArgument` for α ≤ 0; `.noSolution` when a task
    ///   gradient is zero, or no positive root exists (the gradients have 0 in their convex cone —
    ///   then f has no minimiser), or the cap is hit. The caller decides (and reports) what to do.
    public static func solve(gram: [[Double]], alpha: Double, tolerance: Double = 1e-12,
                             maximumIterations: Int = 200) throws -> Solution {
        let function = "FairGradSolver.solve"
        let t = try MathValidation.squareMatrix(gram, function: function)
        guard alpha > 0, alpha.isFinite else {
            throw StrategyMathError.invalidArgument(function: function, reason: "alpha must be positive and finite, got \(alpha)")
        }
        guard (0..<t).allSatisfy({ gram[$0][$0] > 0 }) else {
            throw StrategyMathError.noSolution(function: function, reason: "a task gradient is zero: (Mw)_t = w_t^(-1/alpha) has no positive root")
        }
        let scale = (0..<t).reduce(0) { $0 + gram[$1][$1] } / Double(t)
        let m = gram.map { $0.map { $0 / scale } }
        let exponent = -1 / alpha
        func power(_ w: Double) -> Double { Foundation.pow(w, exponent) }
        func potential(_ w: Double) -> Double { alpha == 1 ? Foundation.log(w) : Foundation.pow(w, 1 + exponent) / (1 + exponent) }
        func objective(_ w: [Double]) -> Double {
            0.5 * MinimumNormSolver.quadraticForm(m, w) - w.reduce(0) { $0 + potential($1) }
        }
        // Exact when the gradients are orthogonal: M_tt w_t = w_t^{-1/α}.
        var w = (0..<t).map { Foundation.pow(m[$0][$0], -alpha / (alpha + 1)) }
        var iterations = 0
        while true {
            let mw = MinimumNormSolver.matrixVector(m, w)
            let target = w.map(power)
            let r = zip(mw, target).map { $0 - $1 }
            let size = r.reduce(0) { max($0, abs($1)) }
            if size <= tolerance * (target.max() ?? 1) {
                let factor = Foundation.pow(scale, -alpha / (alpha + 1))
                let residual = zip(mw, w).map { abs($0 * Foundation.pow($1, 1 / alpha) - 1) }.reduce(0, max)
                return Solution(weights: w.map { $0 * factor }, residual: residual, iterations: iterations)
            }
            guard iterations < maximumIterations, w.allSatisfy({ $0.isFinite && $0 > 0 }) else {
                throw StrategyMathError.noSolution(function: function,
                                                   reason: "no positive root of (Mw)_t = w_t^(-1/\(alpha)) after \(iterations) Newton steps (residual \(size)); the gradients may have 0 in their convex cone")
            }
            iterations += 1
            var hessian = m
            for i in 0..<t { hessian[i][i] += target[i] / (alpha * w[i]) }
            let step = try LinearSystem.solveSymmetricPositiveDefinite(hessian, r.map { -$0 })
            var length = 1.0
            for i in 0..<t where step[i] < 0 { length = min(length, -0.99 * w[i] / step[i]) }
            let current = objective(w)
            let slope = zip(r, step).reduce(0) { $0 + $1.0 * $1.1 }
            var candidate = zip(w, step).map { $0 + length * $1 }
            // Armijo on f; near the root f is flat to rounding (its changes are ~r²), so a step
            // that shrinks the residual is accepted too.
            func residualSize(_ v: [Double]) -> Double {
                zip(MinimumNormSolver.matrixVector(m, v), v).reduce(0) { max($0, abs($1.0 - power($1.1))) }
            }
            while objective(candidate) > current + 1e-4 * length * slope && residualSize(candidate) >= size && length > 1e-20 {
                length /= 2
                candidate = zip(w, step).map { $0 + length * $1 }
            }
            w = candidate
        }
    }
}
