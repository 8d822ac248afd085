/// IMTL-G, the gradient half of Impartial Multi-Task Learning (Liu, Li, Kuang, Xue, Chen, Yang,
/// Liao & Zhang, "Towards Impartial Multi-task Learning", ICLR 2021), STRATEGIES.md §13b.
///
/// Finds α with Σα = 1 such that `d = Σ α_t g_t` has equal projections `d·u_t` on every unit
/// gradient `u_t = g_t/‖g_t‖`. The paper's closed form (`α_{2:T} = g1 Uᵀ(DUᵀ)⁻¹`) is equivalent
/// to the Gram form of TorchJD (`_imtl_g.py`): `α ∝ M⁺ n`, `n_t = ‖g_t‖ = √M_tt`, normalised to
/// sum 1 — which stays defined when the gradients are linearly dependent.
public enum IMTLGradientSolver {
    /// The IMTL-G weights α (sum 1). When `Σ (M⁺n)_t` vanishes (e.g. all gradients zero) the weights
    /// are all zero, as in TorchJD.
    /// - Throws: malformed-matrix errors.
    public static func weights(gram: [[Double]]) throws -> [Double] {
        let t = try MathValidation.squareMatrix(gram, function: "IMTLGradientSolver.weights")
        let norms = (0..<t).map { max(gram[$0][$0], 0).squareRoot() }
        let inverse = try SymmetricEigendecomposition(gram).pseudoInverse()
        let raw = MinimumNormSolver.matrixVector(inverse, norms)
        let total = raw.reduce(0, +)
        guard abs(total) > 1e-12 else { return [Double](repeating: 0, count: t) }
        return raw.map { $0 / total }
    }
}
