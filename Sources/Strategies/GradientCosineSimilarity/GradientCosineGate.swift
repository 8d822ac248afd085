/// Gradient cosine similarity for auxiliary tasks (Du, Czarnecki, Jayakumar, Farajtabar, Pascanu &
/// Lakshminarayanan, "Adapting Auxiliary Losses Using Gradient Similarity", 2018), STRATEGIES.md §9.
///
/// With `cos_k = g_main·g_aux,k / (‖g_main‖‖g_aux,k‖)`:
/// weighted `d = g_main + Σ_k max(0, cos_k)·g_aux,k`; hard `d = g_main + Σ_k 1[cos_k ≥ 0]·g_aux,k`.
/// Row 0 of the Gram matrix is the main task, rows 1…K the auxiliary tasks. A zero gradient has
/// cosine 0 by convention (so the hard gate keeps it — adding zero — and the weighted gate drops it).
public enum GradientCosineGate {
    /// How the cosine gates an auxiliary gradient.
    public enum Mode: String, CaseIterable, Sendable {
        /// max(0, cos_k) — the paper's weighted variant.
        case weighted
        /// 1[cos_k ≥ 0] — the unweighted (hard) variant.
        case hard
    }

    /// cos(g_main, g_aux,k) for k = 1…K.
    /// - Throws: malformed-matrix errors; `.tooFewTasks` when there is no auxiliary task.
    public static func cosines(gram: [[Double]]) throws -> [Double] {
        let t = try MathValidation.squareMatrix(gram, function: "GradientCosineGate.cosines", minimumSize: 2)
        return (1..<t).map { k in
            let scale = (gram[0][0] * gram[k][k]).squareRoot()
            return scale > 0 ? gram[0][k] / scale : 0
        }
    }

    /// The row weights of d: 1 for the main task, the gate of each auxiliary task after it.
    public static func directionWeights(gram: [[Double]], mode: Mode = .weighted) throws -> [Double] {
        let gates = try cosines(gram: gram).map { cosine -> Double in
            switch mode {
            case .weighted: return max(0, cosine)
            case .hard: return cosine >= 0 ? 1 : 0
            }
        }
        return [1] + gates
    }
}
