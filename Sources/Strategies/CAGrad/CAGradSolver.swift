/// Conflict-Averse Gradient descent (Liu, Liu, Jin, Stone & Liu, "Conflict-Averse Gradient
/// Descent for Multi-task Learning", NeurIPS 2021), STRATEGIES.md §13a, in Gram form.
///
/// With `g0 = mean_t g_t` and `φ = c²‖g0‖²`, solve the T-dimensional convex problem
/// `w* = argmin_{w∈Δ} wᵀM b + c‖g0‖·√(wᵀMw)` (b = 1/T, ‖g0‖ = √mean(M)); the direction is
/// `d = g0 + (√φ/‖g_w*‖)·g_w*`, divided by (1 + c²) (rescale 1, default), (1 + c) (rescale 2) or
/// not at all (rescale 0). The reference solves with scipy SLSQP; here projected gradient on the
/// simplex (backtracking step, Euclidean projection) converges to the same minimiser, to ~1e-8 on
/// the test problems (the objective is flat to rounding below that).
public enum CAGradSolver {
    /// The division applied to the direction (LibMTL `rescale`).
    public enum Rescaling: Int, CaseIterable, Sendable {
        /// 0: d unchanged.
        case none = 0
        /// 1: d / (1 + c²) — the default.
        case oneOverOnePlusCSquared = 1
        /// 2: d / (1 + c).
        case oneOverOnePlusC = 2
    }

    /// A CAGrad answer.
    public struct Solution: Equatable, Sendable {
        /// w* on the simplex.
        public var simplexWeights: [Double]
        /// The row weights of the final direction: `d = Σ_t directionWeights[t] · g_t`
        /// (= (1/T + c‖g0‖/‖g_w‖ · w_t) / rescale).
        public var directionWeights: [Double]
        /// The objective value at w*.
        public var objective: Double
        /// Projected-gradient iterations used.
        public var iterations: Int
    }

    /// The CAGrad objective `wᵀ M b + c‖g0‖ √(wᵀ M w)` at `weights`.
    public static func objective(gram: [[Double]], weights: [Double], conflictAversion c: Double) -> Double {
        let t = gram.count
        let mean = gram.reduce(0) { $0 + $1.reduce(0, +) } / Double(t * t)
        let mw = MinimumNormSolver.matrixVector(gram, weights)
        let linear = mw.reduce(0, +) / Double(t)
        let quadratic = max(zip(mw, weights).reduce(0) { $0 + $1.0 * $1.1 }, 0)
        return linear + c * max(mean, 0).squareRoot() * quadratic.squareRoot()
    }

    /// Solves CAGrad on the Gram matrix.
    /// - Parameters:
    ///   - gram: M = G Gᵀ.
    ///   - conflictAversion: c ≥ 0 (LibMTL 0.5; Auto-λ's dense experiments 0.4).
    ///   - rescaling: the final division (default 1: 1 + c²).
    ///   - epsilon: added to norms as in the reference (1e-8 there); 0 by default.
    ///   - maximumIterations, tolerance: the solver stops when an iteration moves w by less than
    ///     `tolerance` (∞-norm) or ten iterations in a row bring no decrease.
    /// - Throws: malformed-matrix errors; `.invalidArgument` for c < 0.
    public static func solve(gram: [[Double]], conflictAversion c: Double = 0.5,
                             rescaling: Rescaling = .oneOverOnePlusCSquared, epsilon: Double = 0,
                             maximumIterations: Int = 10_000, tolerance: Double = 1e-12) throws -> Solution {
        let function = "CAGradSolver.solve"
        let t = try MathValidation.squareMatrix(gram, function: function)
        guard c >= 0, c.isFinite else {
            throw StrategyMathError.invalidArgument(function: function, reason: "conflictAversion must be ≥ 0, got \(c)")
        }
        let mean = gram.reduce(0) { $0 + $1.reduce(0, +) } / Double(t * t)
        let g0Norm = (max(mean, 0) + epsilon).squareRoot()
        let radius = c * g0Norm
        let linearTerm = gram.map { $0.reduce(0, +) / Double(t) }   // M b

        func value(_ w: [Double]) -> Double {
            let mw = MinimumNormSolver.matrixVector(gram, w)
            return zip(linearTerm, w).reduce(0) { $0 + $1.0 * $1.1 }
                + radius * (max(zip(mw, w).reduce(0) { $0 + $1.0 * $1.1 }, 0) + epsilon).squareRoot()
        }
        func gradient(_ w: [Double]) -> [Double] {
            let mw = MinimumNormSolver.matrixVector(gram, w)
            let norm = (max(zip(mw, w).reduce(0) { $0 + $1.0 * $1.1 }, 0) + epsilon).squareRoot()
            guard norm > 0 else { return linearTerm }
            return zip(linearTerm, mw).map { $0 + radius * $1 / norm }
        }

        var w = [Double](repeating: 1 / Double(t), count: t)
        var iterations = 0
        var scale = 0.0
        for row in gram { for x in row { scale = max(scale, abs(x)) } }
        if t > 1 && scale > 0 {
            // Projected gradient with a backtracking (Armijo-type) step 1/L. Objective values stop
            // resolving progress below ~√ε in w, so also stop after a few steps without decrease.
            var lipschitz = scale, current = value(w), stalled = 0
            while iterations < maximumIterations {
                iterations += 1
                let g = gradient(w)
                var next: [Double]
                var nextValue: Double
                while true {
                    next = SimplexProjection.project(zip(w, g).map { $0 - $1 / lipschitz })
                    let difference = zip(next, w).map { $0 - $1 }
                    let model = current + zip(g, difference).reduce(0) { $0 + $1.0 * $1.1 }
                        + lipschitz / 2 * difference.reduce(0) { $0 + $1 * $1 }
                    nextValue = value(next)
                    if nextValue <= model + 1e-15 * max(1, abs(current)) || lipschitz > 1e300 { break }
                    lipschitz *= 2
                }
                let movement = zip(next, w).reduce(0) { max($0, abs($1.0 - $1.1)) }
                if nextValue < current {
                    w = next
                    current = nextValue
                    stalled = 0
                } else {
                    stalled += 1
                }
                if movement < tolerance || stalled >= 10 { break }
                lipschitz = max(lipschitz / 1.5, 1e-300)
            }
        }
        let mw = MinimumNormSolver.matrixVector(gram, w)
        let gwNorm = (max(zip(mw, w).reduce(0) { $0 + $1.0 * $1.1 }, 0)).squareRoot()
        let lambda = radius / (gwNorm + epsilon)
        let divisor: Double
        switch rescaling {
        case .none: divisor = 1
        case .oneOverOnePlusCSquared: divisor = 1 + c * c
        case .oneOverOnePlusC: divisor = 1 + c
        }
        let directionWeights = w.map { (1 / Double(t) + (gwNorm > 0 ? lambda * $0 : 0)) / divisor }
        return Solution(simplexWeights: w, directionWeights: directionWeights, objective: value(w), iterations: iterations)
    }
}
