/// ConFIG (Liu, Chen & Thuerey, ICLR 2025, Eq. 2; TorchJD `ConFIG`) in Gram form.
///
/// With n_t = ‖g_t‖, unit rows u_t = g_t/n_t (0 when n_t = 0) and K = UUᵀ (K_ij = M_ij/(n_i n_j)),
/// the pseudo-inverse direction is `b = U⁺p = Uᵀ c`, `c = K⁺p`, with ‖b‖² = cᵀKc. The output is
/// `d = (Σ_s g_s·b̂) b̂`, `b̂ = b/max(‖b‖, 1e-12)`, and `Σ_s g_s·b = Σ_s Σ_t c_t M_st/n_t`, so
/// **`w_t = λ c_t/(n_t max(‖b‖, 1e-12))`** with `λ = Σ_s Σ_t c_t M_st/n_t / max(‖b‖, 1e-12)`
/// and `d = Σ_t w_t g_t`. When U has full row rank, every unit gradient has the same inner
/// product with b̂ up to p: `u_tᵀ b = p_t` — the "conflict-free" property (`G d > 0`).
public enum ConFIGWeights {
    /// Eigenvalues of K below this fraction of the largest count as zero. Forming K squares the
    /// singular values of U, so rounding leaves ~1e-16 λ_max where U is rank-deficient; 1e-12
    /// (singular values below 1e-6 σ_max) separates those from real directions.
    public static let rankTolerance = 1e-12
    /// torch.nn.functional.normalize's ε.
    public static let normalizeEpsilon = 1e-12

    /// w (d = Σ w_t g_t) from M and the preference p (TorchJD's default: ones).
    /// - Throws: malformed-matrix errors, `.lengthMismatch` for p.
    public static func weights(gram: [[Double]], preference: [Double]? = nil) throws -> [Double] {
        let function = "ConFIGWeights.weights"
        let t = try MathValidation.squareMatrix(gram, function: function)
        let p = preference ?? [Double](repeating: 1, count: t)
        try MathValidation.length(p, t, argument: "preference", function: function)
        let norms = (0..<t).map { max(gram[$0][$0], 0).squareRoot() }
        let k = (0..<t).map { i in (0..<t).map { j in norms[i] > 0 && norms[j] > 0 ? gram[i][j] / (norms[i] * norms[j]) : 0 } }
        guard k.joined().contains(where: { $0 != 0 }) else { return [Double](repeating: 0, count: t) }
        let inverse = try SymmetricEigendecomposition(k).pseudoInverse(relativeTolerance: rankTolerance)
        let c = (0..<t).map { i in (0..<t).reduce(0) { $0 + inverse[i][$1] * p[$1] } }
        var squaredNorm = 0.0
        for i in 0..<t { for j in 0..<t { squaredNorm += c[i] * k[i][j] * c[j] } }
        let divisor = max(max(squaredNorm, 0).squareRoot(), normalizeEpsilon)
        // b's coefficients on the raw gradients: c_t / n_t.
        let onGradients = (0..<t).map { norms[$0] > 0 ? c[$0] / norms[$0] : 0 }
        var projection = 0.0
        for s in 0..<t { for j in 0..<t { projection += onGradients[j] * gram[s][j] } }
        let length = projection / divisor
        return onGradients.map { length * $0 / divisor }
    }
}
