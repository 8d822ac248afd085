/// The min-norm point of the convex hull of task gradients, min_{α∈Δ} ‖Σ α_t v_t‖², from the Gram
/// matrix M (STRATEGIES.md §6): the two-task closed form and Frank–Wolfe for T ≥ 3.
public enum MinNormSolver {
    public enum Initialisation: String, CaseIterable, Sendable {
        /// α = 1/T (Sener & Koltun, Algorithm 2).
        case uniform
        /// The best pair found by the two-task formula (the MGDA reference code).
        case bestPair
    }

    /// Weight γ on v₁ minimising ‖γ v₁ + (1−γ) v₂‖² with a = ‖v₁‖², b = v₁·v₂, c = ‖v₂‖²;
    /// returns γ and the minimum. `compatible` returns 0.999/0.001 in the clipped cases, as the
    /// MGDA reference code does.
    public static func twoTask(_ a: Double, _ b: Double, _ c: Double, compatible: Bool = false) -> (gamma: Double, cost: Double) {
        if b >= a { return (compatible ? 0.999 : 1, a) }
        if b >= c { return (compatible ? 0.001 : 0, c) }
        let gamma = (c - b) / (a + c - 2 * b)
        return (gamma, c + gamma * (b - c))
    }

    /// α on the simplex for Gram matrix `gram`.
    public static func solve(gram: [[Double]], initialisation: Initialisation = .uniform, maximumIterations: Int = 250,
                             tolerance: Double = 1e-5) -> [Double] {
        let t = gram.count
        precondition(t >= 1 && gram.allSatisfy { $0.count == t }, "the Gram matrix must be square and non-empty")
        if t == 1 { return [1] }
        if t == 2 {
            let gamma = twoTask(gram[0][0], gram[0][1], gram[1][1]).gamma
            return [gamma, 1 - gamma]
        }
        var alpha = [Double](repeating: 1 / Double(t), count: t)
        if initialisation == .bestPair {
            var best = (i: 0, j: 1, gamma: 1.0, cost: Double.infinity)
            for i in 0..<t {
                for j in (i + 1)..<t {
                    let (gamma, cost) = twoTask(gram[i][i], gram[i][j], gram[j][j])
                    if cost < best.cost { best = (i, j, gamma, cost) }
                }
            }
            alpha = [Double](repeating: 0, count: t)
            alpha[best.i] = best.gamma
            alpha[best.j] = 1 - best.gamma
        }
        for _ in 0..<maximumIterations {
            let product = (0..<t).map { r in (0..<t).reduce(0.0) { $0 + gram[r][$1] * alpha[$1] } }
            let target = (0..<t).min { product[$0] < product[$1] }!
            let a = (0..<t).reduce(0.0) { $0 + alpha[$1] * product[$1] }
            let b = product[target], c = gram[target][target]
            let gamma = twoTask(a, b, c).gamma
            var next = alpha.map { $0 * gamma }
            next[target] += 1 - gamma
            let change = zip(next, alpha).reduce(0.0) { $0 + abs($1.0 - $1.1) }
            alpha = next
            if change < tolerance { break }
        }
        return alpha
    }
}
