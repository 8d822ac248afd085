/// The projection onto the dual cone of the task gradients, in Gram form (Quinton & Rey,
/// "Jacobian Descent for Multi-Objective Optimization", 2024, Prop. 1), shared by UPGrad and
/// DualProj.
///
/// With `C = {y : g_t·y ≥ 0 ∀t}` and `π(x) = argmin_{y∈C} ‖y − x‖²`, the projection of a
/// combination `Gᵀu` is again a combination, `π(Gᵀu) = Gᵀv*(u)`, with
/// `v*(u) = argmin_{v ≥ u} vᵀMv` — a T-dimensional QP with lower bounds only. Writing `v = u + x`
/// it is `min_{x ≥ 0} ½xᵀMx + (Mu)ᵀx`, solved exactly by ``NonnegativeQuadraticProgram``.
///
/// **Numerics of the peers** (torchjd `QuadprogProjector`, LibMTL's UPGrad): before solving,
/// `M ← M/tr(M)` (or `M ← 0` when `tr(M) < norm_eps`), then `M ← M + reg_eps·I`. Dividing by the
/// trace leaves v* unchanged; `reg_eps` moves it by ~reg_eps relative. ``Numerics/exact`` uses no
/// regularisation (only the trace scaling, for conditioning); ``Numerics/peer`` reproduces
/// torchjd's defaults (1e-4, 1e-4).
public enum DualConeProjection {
    /// The regularisation applied to M before solving.
    public struct Numerics: Equatable, Sendable {
        /// Below this trace, M is treated as 0 (then v* = u).
        public var normEpsilon: Double
        /// Added to the diagonal of the trace-normalised M.
        public var regularisationEpsilon: Double

        public init(normEpsilon: Double, regularisationEpsilon: Double) {
            self.normEpsilon = normEpsilon
            self.regularisationEpsilon = regularisationEpsilon
        }

        /// The exact QP: no regularisation; M = 0 only when its trace is exactly 0.
        public static let exact = Numerics(normEpsilon: 0, regularisationEpsilon: 0)
        /// torchjd's and LibMTL's defaults, `norm_eps = reg_eps = 1e-4`.
        public static let peer = Numerics(normEpsilon: 1e-4, regularisationEpsilon: 1e-4)
    }

    /// An answer.
    public struct Solution: Equatable, Sendable {
        /// v*(u) ≥ u.
        public var weights: [Double]
        /// Whether the active-set method met the KKT conditions.
        public var converged: Bool
    }

    /// The Gram matrix the QP is solved on: trace-normalised, then regularised.
    static func prepared(gram: [[Double]], numerics: Numerics) -> [[Double]] {
        let t = gram.count
        let trace = (0..<t).reduce(0) { $0 + gram[$1][$1] }
        let vanishes = trace <= 0 || trace < numerics.normEpsilon
        return (0..<t).map { i in
            (0..<t).map { j in (vanishes ? 0 : gram[i][j] / trace) + (i == j ? numerics.regularisationEpsilon : 0) }
        }
    }

    /// `v*(u) = argmin_{v ≥ u} vᵀMv`.
    /// - Throws: malformed-matrix errors, `.lengthMismatch` for u, `.invalidArgument` for negative
    ///   epsilons or a non-finite u.
    public static func weights(gram: [[Double]], lowerBounds u: [Double], numerics: Numerics = .exact) throws -> Solution {
        let function = "DualConeProjection.weights"
        let t = try MathValidation.squareMatrix(gram, function: function)
        try MathValidation.length(u, t, argument: "lowerBounds", function: function)
        guard numerics.normEpsilon >= 0, numerics.regularisationEpsilon >= 0 else {
            throw StrategyMathError.invalidArgument(function: function, reason: "norm and regularisation epsilons must not be negative")
        }
        guard u.allSatisfy({ $0.isFinite }) else {
            throw StrategyMathError.invalidArgument(function: function, reason: "lowerBounds must be finite")
        }
        let q = prepared(gram: gram, numerics: numerics)
        let qu = MinimumNormSolver.matrixVector(q, u)
        if qu.allSatisfy({ $0 >= 0 }) {
            // u itself satisfies the KKT conditions (x = 0 is optimal): no task conflicts with Gᵀu.
            return Solution(weights: u, converged: true)
        }
        let answer = try NonnegativeQuadraticProgram.solve(q: q, c: qu.map { -$0 })
        return Solution(weights: zip(u, answer.x).map { $0 + $1 }, converged: answer.converged)
    }
}
