/// Gradient Vaccine (Wang, Tsvetkov, Firat & Cao, "Gradient Vaccine: Investigating and Improving
/// Multi-task Optimization in Massively Multilingual Models", ICLR 2021), STRATEGIES.md §13f,
/// in the Gram-coefficient form of `PCGradProjection` (LibMTL's `GradVac` keeps the same
/// coefficients as `batch_weight`).
///
/// With EMA targets ρ̂_ij (one per ordered pair, init 0), for each i and each j ≠ i in `orders[i]`:
/// `ρ = cos(p_i, g_j)`; if `ρ < ρ̂_ij`:
/// `p_i ← p_i + g_j · ‖p_i‖(ρ̂√(1−ρ²) − ρ√(1−ρ̂²)) / (‖g_j‖√(1−ρ̂²))` (which sets cos(p_i, g_j) = ρ̂);
/// always `ρ̂_ij ← (1−β)ρ̂_ij + βρ` with ρ measured before the adjustment. `d = Σ_i p_i`.
/// With all targets 0 the first step is exactly PCGrad.
public enum GradVacProjection {
    /// The coefficients C (`p_i = Σ_k C[i][k] g_k`) and the updated targets.
    /// - Parameters:
    ///   - gram: M = G Gᵀ (whole-model group; call once per group for per-layer variants).
    ///   - orders: as in `PCGradProjection.coefficients(gram:orders:)`.
    ///   - targets: ρ̂ (T×T, diagonal unused), updated in place.
    ///   - decay: β (0.5 in LibMTL), the EMA rate of the targets.
    ///   - updatesTargetsOnlyWhenAdjusted: LibMTL 1.1.5's convention — its EMA update sits inside
    ///     the `if ρ < ρ̂` branch, so a target moves only when the pair was adjusted (with targets
    ///     starting at 0, only conflicting pairs ever update). The paper, the spec and torchjd
    ///     update every pair (false, the default).
    /// - Throws: malformed input; `.invalidArgument` for targets outside [−1, 1] or β ∉ [0, 1].
    /// A pair whose cosine is undefined (p_i or g_j zero) is skipped and its target left unchanged.
    /// A target of exactly 1 (reachable only with β = 1 and parallel gradients) would need an
    /// infinite step; the adjustment is then skipped (the EMA update still runs).
    public static func coefficients(gram: [[Double]], orders: [[Int]], targets: inout [[Double]],
                                    decay: Double = 0.5, updatesTargetsOnlyWhenAdjusted: Bool = false) throws -> [[Double]] {
        let function = "GradVacProjection.coefficients"
        let t = try MathValidation.squareMatrix(gram, function: function)
        try MathValidation.orders(orders, taskCount: t, function: function)
        try MathValidation.length(targets, t, argument: "targets", function: function)
        for row in targets { try MathValidation.length(row, t, argument: "a row of targets", function: function) }
        guard (0...1).contains(decay) else {
            throw StrategyMathError.invalidArgument(function: function, reason: "decay must lie in [0, 1], got \(decay)")
        }
        for i in 0..<t { for j in 0..<t where i != j && !(targets[i][j] >= -1 && targets[i][j] <= 1) {
            throw StrategyMathError.invalidArgument(function: function, reason: "target ρ̂[\(i)][\(j)] = \(targets[i][j]) outside [−1, 1]")
        } }
        var result = [[Double]]()
        for i in 0..<t {
            var c = [Double](repeating: 0, count: t)
            c[i] = 1
            for j in orders[i] {
                let cm = (0..<t).map { k in (0..<t).reduce(0.0) { $0 + c[$1] * gram[$1][k] } }
                let squaredNorm = (0..<t).reduce(0.0) { $0 + cm[$1] * c[$1] }
                guard squaredNorm > 0, gram[j][j] > 0 else { continue }
                let pNorm = squaredNorm.squareRoot(), gNorm = gram[j][j].squareRoot()
                let rho = cm[j] / (pNorm * gNorm)
                let target = targets[i][j]
                let root = (1 - target * target).squareRoot()
                if rho < target && root > 0 {
                    let weight = pNorm * (target * max(0, 1 - rho * rho).squareRoot() - rho * root) / (gNorm * root)
                    c[j] += weight
                }
                if !updatesTargetsOnlyWhenAdjusted || rho < target {
                    targets[i][j] = (1 - decay) * target + decay * rho
                }
            }
            result.append(c)
        }
        return result
    }

    /// The row weights of `d = Σ_i p_i`.
    public static func directionWeights(gram: [[Double]], orders: [[Int]], targets: inout [[Double]],
                                        decay: Double = 0.5, updatesTargetsOnlyWhenAdjusted: Bool = false) throws -> [Double] {
        let c = try coefficients(gram: gram, orders: orders, targets: &targets, decay: decay,
                                 updatesTargetsOnlyWhenAdjusted: updatesTargetsOnlyWhenAdjusted)
        return (0..<c.count).map { k in c.reduce(0) { $0 + $1[k] } }
    }

    /// Initial targets: all zero (T×T).
    public static func initialTargets(taskCount: Int) -> [[Double]] {
        [[Double]](repeating: [Double](repeating: 0, count: taskCount), count: taskCount)
    }
}
