/// The min-norm-point problem of MGDA (Sener & Koltun, "Multi-Task Learning as Multi-Objective
/// Optimization", NeurIPS 2018), STRATEGIES.md §6:
/// `min_{α ∈ Δ_T} ‖Σ_t α_t v_t‖² = αᵀ M α`, on the Gram matrix M of the (normalised) task vectors.
///
/// At the solution `d = Σ α_t v_t` satisfies `d·v_t ≥ ‖d‖²` for every t, with equality where α_t > 0.
public enum MinimumNormSolver {
    /// The answer of the two-vector problem `min_{γ∈[0,1]} ‖γ v1 + (1−γ) v2‖²`.
    public struct TwoTaskSolution: Equatable, Sendable {
        /// γ, the weight on the first vector (1 − γ on the second).
        public var weightOnFirst: Double
        /// The minimum squared norm reached, `c + γ(b − c)` (the reference's "cost").
        public var cost: Double

        public init(weightOnFirst: Double, cost: Double) {
            self.weightOnFirst = weightOnFirst
            self.cost = cost
        }
    }

    /// Where Frank-Wolfe starts.
    public enum Initialisation: String, CaseIterable, Sendable {
        /// α = (1/T, …, 1/T) — the paper's Algorithm 2.
        case uniform
        /// The best pair (i, j) under the two-task formula (lowest cost) — the MGDA reference
        /// code (`MinNormSolver._min_norm_2d`, isl-org/MultiObjectiveOptimization).
        case bestPair
    }

    /// A Frank-Wolfe answer.
    public struct Solution: Equatable, Sendable {
        /// α on the simplex.
        public var weights: [Double]
        /// `αᵀ M α`, the squared norm of the min-norm point.
        public var squaredNorm: Double
        /// Frank-Wolfe iterations run (0 when the answer is closed form).
        public var iterations: Int
        /// Whether the stop rule `Σ|α_new − α| < tolerance` fired before the iteration cap.
        public var converged: Bool
    }

    /// The two-task closed form on the scalars `a = ‖v1‖²`, `b = v1·v2`, `c = ‖v2‖²`:
    /// `b ≥ a ⇒ γ = 1` (cost a); else `b ≥ c ⇒ γ = 0` (cost c); else `γ = (c − b)/(a + c − 2b)`,
    /// cost `c + γ(b − c)`; i.e. `γ = clip((v2−v1)·v2 / ‖v1−v2‖², 0, 1)`.
    ///
    /// - Parameter referenceCompatible: return 0.999 / 0.001 instead of 1 / 0 in the two clipped
    ///   cases, as `MinNormSolver._min_norm_element_from2` does (the cost stays a resp. c).
    public static func twoTask(a: Double, b: Double, c: Double, referenceCompatible: Bool = false) -> TwoTaskSolution {
        if b >= a { return TwoTaskSolution(weightOnFirst: referenceCompatible ? 0.999 : 1, cost: a) }
        if b >= c { return TwoTaskSolution(weightOnFirst: referenceCompatible ? 0.001 : 0, cost: c) }
        let gamma = (c - b) / (a + c - 2 * b)
        return TwoTaskSolution(weightOnFirst: gamma, cost: c + gamma * (b - c))
    }

    /// The best pair of tasks: over all i < j, the two-task solution of lowest cost (ties: the first
    /// pair in (i, j) lexicographic order, as the reference's strict `<`). Returns the weights on
    /// the simplex (γ on i, 1 − γ on j; zero elsewhere). With one task, α = (1).
    /// - Throws: `.tooFewTasks` / `.notSquare` for a malformed Gram matrix.
    public static func bestPair(gram: [[Double]], referenceCompatible: Bool = false) throws -> (first: Int, second: Int, weights: [Double]) {
        let t = try MathValidation.squareMatrix(gram, function: "MinimumNormSolver.bestPair")
        if t == 1 { return (0, 0, [1]) }
        var best: (Int, Int, TwoTaskSolution)?
        for i in 0..<t {
            for j in (i + 1)..<t {
                let solution = twoTask(a: gram[i][i], b: gram[i][j], c: gram[j][j], referenceCompatible: referenceCompatible)
                if best == nil || solution.cost < best!.2.cost { best = (i, j, solution) }
            }
        }
        var weights = [Double](repeating: 0, count: t)
        weights[best!.0] = best!.2.weightOnFirst
        weights[best!.1] = 1 - best!.2.weightOnFirst
        return (best!.0, best!.1, weights)
    }

    /// Frank-Wolfe on the simplex (Sener & Koltun, Algorithm 2; STRATEGIES.md §6):
    /// ```
    /// repeat ≤ maximumIterations:
    ///     t̂ = argmin_r (Mα)_r;  a = αᵀMα;  b = (Mα)_t̂;  c = M_t̂t̂
    ///     γ = twoTask(a, b, c).weightOnFirst;  α_new = γα + (1 − γ)e_t̂
    ///     stop if Σ|α_new − α| < tolerance;  α = α_new
    /// ```
    /// With T = 2 the closed form is returned directly (as the reference does); T = 1 gives α = (1).
    /// On stopping, the *new* point is returned (the reference returns the previous one; they
    /// differ by less than `tolerance` in ℓ1 and the new one has the lower objective).
    ///
    /// - Parameters:
    ///   - gram: M (T×T, symmetric positive semi-definite).
    ///   - initialisation: `.uniform` (paper) or `.bestPair` (reference code).
    ///   - maximumIterations: 250 in the reference (`MAX_ITER`).
    ///   - tolerance: 1e-5 in the reference (`STOP_CRIT`).
    ///   - referenceCompatible: use the 0.999 / 0.001 clipping of the reference in every line search.
    /// - Throws: `.tooFewTasks` / `.notSquare` / `.invalidArgument` for malformed input.
    public static func frankWolfe(gram: [[Double]], initialisation: Initialisation = .uniform,
                                  maximumIterations: Int = 250, tolerance: Double = 1e-5,
                                  referenceCompatible: Bool = false) throws -> Solution {
        let t = try MathValidation.squareMatrix(gram, function: "MinimumNormSolver.frankWolfe")
        guard maximumIterations >= 0, tolerance >= 0 else {
            throw StrategyMathError.invalidArgument(function: "MinimumNormSolver.frankWolfe",
                                                    reason: "maximumIterations and tolerance must not be negative")
        }
        if t == 1 { return Solution(weights: [1], squaredNorm: gram[0][0], iterations: 0, converged: true) }
        if t == 2 {
            let two = twoTask(a: gram[0][0], b: gram[0][1], c: gram[1][1], referenceCompatible: referenceCompatible)
            let weights = [two.weightOnFirst, 1 - two.weightOnFirst]
            return Solution(weights: weights, squaredNorm: quadraticForm(gram, weights), iterations: 0, converged: true)
        }
        var alpha: [Double]
        switch initialisation {
        case .uniform: alpha = [Double](repeating: 1 / Double(t), count: t)
        case .bestPair: alpha = try bestPair(gram: gram, referenceCompatible: referenceCompatible).weights
        }
        var iteration = 0
        while iteration < maximumIterations {
            iteration += 1
            let product = matrixVector(gram, alpha)
            var vertex = 0
            for r in 1..<t where product[r] < product[vertex] { vertex = r }
            let a = zip(alpha, product).reduce(0) { $0 + $1.0 * $1.1 }
            let step = twoTask(a: a, b: product[vertex], c: gram[vertex][vertex], referenceCompatible: referenceCompatible)
            var next = alpha.map { $0 * step.weightOnFirst }
            next[vertex] += 1 - step.weightOnFirst
            let change = zip(next, alpha).reduce(0) { $0 + abs($1.0 - $1.1) }
            alpha = next
            if change < tolerance {
                return Solution(weights: alpha, squaredNorm: quadraticForm(gram, alpha), iterations: iteration, converged: true)
            }
        }
        return Solution(weights: alpha, squaredNorm: quadraticForm(gram, alpha), iterations: maximumIterations, converged: false)
    }

    static func matrixVector(_ matrix: [[Double]], _ vector: [Double]) -> [Double] {
        matrix.map { row in zip(row, vector).reduce(0) { $0 + $1.0 * $1.1 } }
    }

    static func quadraticForm(_ matrix: [[Double]], _ vector: [Double]) -> Double {
        zip(matrixVector(matrix, vector), vector).reduce(0) { $0 + $1.0 * $1.1 }
    }
}
