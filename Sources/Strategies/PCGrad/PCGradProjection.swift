/// PCGrad gradient surgery (Yu, Kumar, Gupta, Levine, Hausman & Finn, "Gradient Surgery for
/// Multi-Task Learning", NeurIPS 2020, Algorithm 1), STRATEGIES.md §5:
/// ```
/// for i: p_i ← g_i
///        for j in orders[i] (the other tasks, a fresh random order per i and step):
///            if p_i·g_j < 0: p_i ← p_i − (p_i·g_j / ‖g_j‖²) g_j      (the ORIGINAL g_j)
/// d = Σ_i p_i  (sum: paper, LibMTL)   or   mean (Auto-λ / CAGrad code, Pytorch-PCGrad)
/// ```
/// Every p_i stays in the span of the task gradients, so the surgery runs exactly on the Gram
/// matrix: p_i = Σ_k C_ik g_k with `p_i·g_j = (C M)_ij`. The functions return the coefficients C
/// (or the direction's row weights) and the caller makes the one pass `G.combine(weights:)` —
/// O(T²P) for the Gram plus O(T³), instead of T² passes over P.
/// Tasks with a zero gradient are never projected on (the reference would divide by zero).
public enum PCGradProjection {
    /// How the projected gradients become the direction.
    public enum Reduction: String, CaseIterable, Sendable {
        /// d = Σ_i p_i (paper, LibMTL, the TensorFlow reference) — the default.
        case sum
        /// d = (1/T) Σ_i p_i.
        case mean
    }

    /// The coefficients C (T×T) with `p_i = Σ_k C[i][k] g_k`.
    /// - Parameters:
    ///   - gram: M = G Gᵀ.
    ///   - orders: `orders[i]` is the order in which task i is projected against the other tasks;
    ///     a permutation of `{0..<T} \ {i}` (see `randomOrders(taskCount:using:)`).
    /// - Throws: malformed-matrix errors; `.invalidArgument` when an order is not such a permutation.
    public static func coefficients(gram: [[Double]], orders: [[Int]]) throws -> [[Double]] {
        let t = try MathValidation.squareMatrix(gram, function: "PCGradProjection.coefficients")
        try MathValidation.orders(orders, taskCount: t, function: "PCGradProjection.coefficients")
        var result = [[Double]]()
        for i in 0..<t {
            var c = [Double](repeating: 0, count: t)
            c[i] = 1
            for j in orders[i] where gram[j][j] > 0 {
                var product = 0.0
                for k in 0..<t { product += c[k] * gram[k][j] }
                if product < 0 { c[j] -= product / gram[j][j] }
            }
            result.append(c)
        }
        return result
    }

    /// The row weights of the direction: `d = Σ_k w_k g_k` with `w = Σ_i C[i]` (sum) or its mean.
    public static func directionWeights(gram: [[Double]], orders: [[Int]], reduction: Reduction = .sum) throws -> [Double] {
        let c = try coefficients(gram: gram, orders: orders)
        let t = c.count
        let scale = reduction == .sum ? 1 : 1 / Double(t)
        return (0..<t).map { k in c.reduce(0) { $0 + $1[k] } * scale }
    }

    /// The projected gradients p_i themselves, as a matrix.
    public static func projectedRows(of matrix: TaskGradientMatrix, orders: [[Int]]) throws -> TaskGradientMatrix {
        let c = try coefficients(gram: matrix.gram(), orders: orders)
        var flat: [Float] = []
        flat.reserveCapacity(matrix.taskCount * matrix.parameterCount)
        for row in c { flat.append(contentsOf: try matrix.combine(weights: row)) }
        return try TaskGradientMatrix(taskCount: matrix.taskCount, parameterCount: matrix.parameterCount, scalars: flat)
    }

    /// A fresh uniformly random order of the other tasks for every task (Fisher-Yates via the
    /// standard library's `shuffle(using:)`; deterministic for a seeded generator).
    public static func randomOrders<Generator: RandomNumberGenerator>(taskCount: Int, using generator: inout Generator) -> [[Int]] {
        (0..<taskCount).map { i in
            var others = (0..<taskCount).filter { $0 != i }
            others.shuffle(using: &generator)
            return others
        }
    }

    /// For every task, the other tasks in ascending index order (STRATEGIES.md §5 "order A").
    public static func ascendingOrders(taskCount: Int) -> [[Int]] {
        (0..<taskCount).map { i in (0..<taskCount).filter { $0 != i } }
    }

    /// For every task, the other tasks in descending index order (STRATEGIES.md §5 "order B").
    public static func descendingOrders(taskCount: Int) -> [[Int]] {
        ascendingOrders(taskCount: taskCount).map { $0.reversed() }
    }
}
