/// The gradient normalisations of the MGDA reference code (`gradient_normalizers` in
/// isl-org/MultiObjectiveOptimization), STRATEGIES.md §6. They only change the *solver input*:
/// the min-norm problem is solved on `v_t / n_t`, and the resulting α then weights the raw losses.
public enum GradientNormalization: String, CaseIterable, Sendable {
    /// n_t = 1 (LibMTL's default).
    case none
    /// n_t = ‖v_t‖.
    case l2
    /// n_t = L_t.
    case loss
    /// n_t = L_t·‖v_t‖ (the MGDA reference's sample configuration).
    case lossPlus = "loss+"

    /// The normalisers n_t (+ `epsilon`) from the row norms ‖v_t‖ and the losses L_t.
    /// - Throws: `.lengthMismatch` when the lengths differ (losses are only needed for `loss`/`loss+`;
    ///   pass them anyway, or an empty array for `none`/`l2`); `.invalidArgument` for a
    ///   non-positive normaliser (a zero gradient with `l2`, a zero loss with `loss`; pass a small
    ///   `epsilon`, e.g. the references' 1e-8, to accept those).
    public func normalizers(rowNorms: [Double], losses: [Double], epsilon: Double = 0) throws -> [Double] {
        let function = "GradientNormalization.normalizers"
        try MathValidation.taskCount(rowNorms.count, function: function)
        let result: [Double]
        switch self {
        case .none:
            return rowNorms.map { _ in 1 }
        case .l2:
            result = rowNorms
        case .loss:
            try MathValidation.length(losses, rowNorms.count, argument: "losses", function: function)
            result = losses
        case .lossPlus:
            try MathValidation.length(losses, rowNorms.count, argument: "losses", function: function)
            result = zip(losses, rowNorms).map { $0 * $1 }
        }
        let shifted = result.map { $0 + epsilon }
        guard shifted.allSatisfy({ $0 > 0 && $0.isFinite }) else {
            throw StrategyMathError.invalidArgument(function: function,
                                                    reason: "normalisation '\(rawValue)' gives a non-positive normaliser \(shifted)")
        }
        return shifted
    }

    /// The Gram matrix of the normalised vectors, `M_ij / (n_i n_j)`.
    /// - Throws: `.lengthMismatch` / `.notSquare` for inconsistent sizes.
    public static func normalize(gram: [[Double]], by normalizers: [Double]) throws -> [[Double]] {
        let t = try MathValidation.squareMatrix(gram, function: "GradientNormalization.normalize")
        try MathValidation.length(normalizers, t, argument: "normalizers", function: "GradientNormalization.normalize")
        return (0..<t).map { i in (0..<t).map { j in gram[i][j] / (normalizers[i] * normalizers[j]) } }
    }
}
