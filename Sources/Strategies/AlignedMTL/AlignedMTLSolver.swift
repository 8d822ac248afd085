/// Aligned-MTL (Senushkin, Patakin, Kuznetsov & Konushin, "Independent Component Alignment for
/// Multi-Task Learning", CVPR 2023), STRATEGIES.md §13g, in Gram form as LibMTL and TorchJD.
///
/// Eigendecompose `M = V diag(λ) Vᵀ`, keep the R eigenpairs with `λ > λ_max · T · ε_f32`
/// (ε_f32 = 2⁻²³, the float32 machine epsilon of the references), and form the balance matrix
/// `B = √λ_R · V_R diag(λ_R^{-1/2}) V_Rᵀ` (λ_R = smallest kept eigenvalue). The aligned task
/// gradients, the rows of `B G`, have Gram `B M B = λ_R · V_R V_Rᵀ` (= λ_R·I at full rank): orthogonal,
/// all of norm √λ_R. Task weights `α = B w` for a preference vector w: LibMTL w = 1 (column sums
/// of B), TorchJD w = 1/T; the direction is `d = Σ α_t g_t`.
public enum AlignedMTLSolver {
    /// The balance matrix B (T×T, symmetric). All-zero when M = 0.
    /// - Throws: malformed-matrix errors.
    public static func balanceMatrix(gram: [[Double]]) throws -> [[Double]] {
        let t = try MathValidation.squareMatrix(gram, function: "AlignedMTLSolver.balanceMatrix")
        let decomposition = try SymmetricEigendecomposition(gram)
        let rank = decomposition.rank(relativeTolerance: Double(t) * Double(Float.ulpOfOne))
        var b = [[Double]](repeating: [Double](repeating: 0, count: t), count: t)
        guard rank > 0 else { return b }
        let smallest = decomposition.eigenvalues[rank - 1]
        for k in 0..<rank {
            let factor = (smallest / decomposition.eigenvalues[k]).squareRoot()
            let vector = decomposition.eigenvectors[k]
            for i in 0..<t { for j in 0..<t { b[i][j] += factor * vector[i] * vector[j] } }
        }
        return b
    }

    /// The task weights `α = B w`.
    /// - Parameter preference: w; nil means LibMTL's w = 1 (pass `1/T` everywhere for TorchJD's mean).
    /// - Throws: malformed-matrix errors, `.lengthMismatch` for a preference of the wrong length.
    public static func weights(gram: [[Double]], preference: [Double]? = nil) throws -> [Double] {
        let b = try balanceMatrix(gram: gram)
        let w = preference ?? [Double](repeating: 1, count: b.count)
        try MathValidation.length(w, b.count, argument: "preference", function: "AlignedMTLSolver.weights")
        return MinimumNormSolver.matrixVector(b, w)
    }
}
