import Testing
import TandemCore
import TandemStrategies

extension PinnedVectors {
    /// DB-MTL (LibMTL `DB_MTL`, β = 0.9, σ = 0) by hand on G3, L3: h_t = g_t/L_t; step 1 leaves
    /// m = 0.1 h (‖m‖ = 0.1 ‖g_t‖/L_t = 0.3125, 0.166667, 0.124482), step 2 m = 0.19 h; every m_t
    /// is rescaled to the largest norm, so d = 0.3125 Σ_t g_t/‖g_t‖, then 0.59375 Σ_t g_t/‖g_t‖.
    static let dbMTL: [PinnedVector] = [
        PinnedVector("db-mtl", "G3 two steps: d = 0.3125 Σ ĝ_t, then 0.59375 Σ ĝ_t; heads on ∇ log L_t") {
            let strategy = DBMTL()
            let first = try Spec.combine(strategy, Spec.g3, losses: Spec.l3, step: 0)
            expectClose(first.direction, [-0.06794556, 0.2038367, 0.16571771, -0.17660885], "d step 1")
            expectClose(values(first.decoderWeights, ["t0", "t1", "t2"], "∂D/∂L"), [1 / 0.8, 1 / 1.5, 1 / 2.2], "heads: 1/L_t")
            expectClose(values(first.reports.mapValues(Float.init), ["scale.t0", "scale.t1", "scale.t2"], "α"), [1, 1.875, 2.51039483], "α step 1")
            let second = try Spec.combine(strategy, Spec.g3, losses: Spec.l3, step: 1)
            expectClose(second.direction, [-0.12909657, 0.38728972, 0.31486367, -0.33555683], "d step 2")
        },
    ]

    /// MoCo (LibMTL `MoCo`, β = 0.5, σ_β = 0.5, γ = 0.1, σ_γ = 0.5, ρ = 0) by hand with NumPy on
    /// G3, L3: ĝ_t = L_t g_t/‖g_t‖; step 1: y = 0.5 ĝ, λ = softmax(1/3 − 0.1 YYᵀ 1/3); step 2:
    /// β_2 = 0.5/√2, γ_2 = 0.1/√2.
    static let moCo: [PinnedVector] = [
        PinnedVector("moco", "G3 two steps: λ and d = Yᵀλ") {
            let strategy = MoCo()
            let first = try Spec.combine(strategy, Spec.g3, losses: Spec.l3, step: 0)
            expectClose(values(first.reports.mapValues(Float.init), ["weight.t0", "weight.t1", "weight.t2"], "λ"), [0.33965969, 0.33222912, 0.32811119], "λ step 1")
            expectClose(first.direction, [-0.07909682, 0.01067455, 0.2590692, -0.20428615], "d step 1")
            let second = try Spec.combine(strategy, Spec.g3, losses: Spec.l3, step: 1)
            expectClose(values(second.reports.mapValues(Float.init), ["weight.t0", "weight.t1", "weight.t2"], "λ"), [0.34346264, 0.33143333, 0.32510403], "λ step 2")
            expectClose(second.direction, [-0.10640935, 0.018225, 0.346409, -0.27414236], "d step 2")
        },
    ]
}
