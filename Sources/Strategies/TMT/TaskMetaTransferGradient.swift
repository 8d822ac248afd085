/// The gradient transform and the closed-form meta-gradient of TMT (task meta-transfer from
/// limited parallel labels), STRATEGIES.md §11.
///
/// The auxiliary gradient at the bifurcation `g_A = ∂L_A/∂O` (layout B×C×S: S spatial positions
/// per channel, S = H·W, or S = 1 for B×C features) is transformed per position over channels by
/// `M = Λ + UUᵀ` (Λ = diag(λ), U ∈ R^{C×r}). With `Θ⁺ = Θ − α Jᵀ M g_A`, `v = ∇_Θ L_P(Θ⁺)` and the
/// Jacobian-vector product `u = J v` (same layout as O):
/// `∂L_P(Θ⁺)/∂λ_c = −α Σ_{b,s} u_c·(g_A)_c`,  `∂L_P(Θ⁺)/∂U = −α (S + Sᵀ) U`,  `S = Σ_{b,s} u g_Aᵀ`.
/// (U = 0 is a stationary point of the U-gradient: initialise U small but non-zero.)
public enum TaskMetaTransferGradient {
    /// The meta-gradient of one auxiliary task's φ = (λ, U).
    public struct MetaGradient: Equatable, Sendable {
        /// ∂L_P/∂λ (C).
        public var diagonal: [Double]
        /// ∂L_P/∂U (C × r).
        public var lowRank: [[Double]]
    }

    /// `M g` applied at every (sample, position): `(M g)_c = λ_c g_c + Σ_k U_ck (Σ_c' U_c'k g_c')`.
    /// - Parameters:
    ///   - gradient: g_A, B×C×S row-major.
    ///   - channelCount: C.
    ///   - spatialCount: S (1 for B×C features).
    ///   - diagonal: λ (C).
    ///   - lowRank: U (C rows of r entries; r may be 0).
    /// - Throws: `.invalidArgument` / `.lengthMismatch` for inconsistent shapes.
    public static func transform(gradient: [Float], channelCount: Int, spatialCount: Int = 1,
                                 diagonal: [Double], lowRank: [[Double]]) throws -> [Float] {
        let rank = try check(gradient, channelCount, spatialCount, diagonal: diagonal, lowRank: lowRank, "TaskMetaTransferGradient.transform")
        var result = [Float](repeating: 0, count: gradient.count)
        let plane = channelCount * spatialCount
        var projection = [Double](repeating: 0, count: rank)
        for b in 0..<(gradient.count / plane) {
            for s in 0..<spatialCount {
                for k in 0..<rank {
                    var total = 0.0
                    for c in 0..<channelCount { total += lowRank[c][k] * Double(gradient[b * plane + c * spatialCount + s]) }
                    projection[k] = total
                }
                for c in 0..<channelCount {
                    let index = b * plane + c * spatialCount + s
                    var value = diagonal[c] * Double(gradient[index])
                    for k in 0..<rank { value += lowRank[c][k] * projection[k] }
                    result[index] = Float(value)
                }
            }
        }
        return result
    }

    /// The exact meta-gradient from `u = J v`, `g_A`, the inner learning rate α and U.
    /// - Throws: `.invalidArgument` / `.lengthMismatch` for inconsistent shapes.
    public static func metaGradient(jacobianVectorProduct u: [Float], auxiliaryGradient: [Float], channelCount: Int,
                                    spatialCount: Int = 1, innerLearningRate alpha: Double, lowRank: [[Double]]) throws -> MetaGradient {
        let function = "TaskMetaTransferGradient.metaGradient"
        let rank = try check(auxiliaryGradient, channelCount, spatialCount, diagonal: nil, lowRank: lowRank, function)
        try MathValidation.length(u, auxiliaryGradient.count, argument: "jacobianVectorProduct", function: function)
        let plane = channelCount * spatialCount
        var s = [[Double]](repeating: [Double](repeating: 0, count: channelCount), count: channelCount)
        for b in 0..<(u.count / plane) {
            for position in 0..<spatialCount {
                for c in 0..<channelCount {
                    let uc = Double(u[b * plane + c * spatialCount + position])
                    if uc == 0 { continue }
                    for d in 0..<channelCount { s[c][d] += uc * Double(auxiliaryGradient[b * plane + d * spatialCount + position]) }
                }
            }
        }
        let diagonal = (0..<channelCount).map { -alpha * s[$0][$0] }
        let lowRankGradient = (0..<channelCount).map { c in
            (0..<rank).map { k in -alpha * (0..<channelCount).reduce(0.0) { $0 + (s[c][$1] + s[$1][c]) * lowRank[$1][k] } }
        }
        return MetaGradient(diagonal: diagonal, lowRank: lowRankGradient)
    }

    /// Validates shapes; returns the rank r.
    private static func check(_ gradient: [Float], _ channels: Int, _ spatial: Int, diagonal: [Double]?,
                              lowRank: [[Double]], _ function: String) throws -> Int {
        guard channels > 0, spatial > 0, gradient.count % (channels * spatial) == 0 else {
            throw StrategyMathError.invalidArgument(function: function,
                                                    reason: "a gradient of \(gradient.count) entries is not B×\(channels)×\(spatial)")
        }
        if let diagonal { try MathValidation.length(diagonal, channels, argument: "diagonal", function: function) }
        try MathValidation.length(lowRank, channels, argument: "lowRank rows", function: function)
        let rank = lowRank.first?.count ?? 0
        for row in lowRank { try MathValidation.length(row, rank, argument: "a lowRank row", function: function) }
        return rank
    }
}
