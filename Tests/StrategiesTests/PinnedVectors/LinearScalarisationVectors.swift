import Testing
import TandemCore
import TandemStrategies

extension PinnedVectors {
    /// Linear scalarisation with fixed weights (TorchJD `Constant`), by hand on G3, L3.
    static let linearScalarisation: [PinnedVector] = [
        PinnedVector("ls", "G3 with weights a=1, b=0.5, c=0: L = 0.8 + 0.75 = 1.55, d = g_a + 0.5 g_b") {
            let strategy = try LinearScalarisation.make(["weights": .text("a=1, b=0.5, c=0")], tasks: Spec.tasks(Spec.names3))
            let outcome = try Spec.combine(strategy, Spec.g3, losses: Spec.l3, names: Spec.names3)
            expectClose(outcome.decoderLoss, 1.55, "L_tot")
            expectClose(values(outcome.decoderWeights, Spec.names3, "w"), [1, 0.5, 0], "w")
            expectClose(outcome.direction, [0, 2.5, -0.75, 0], "d")
        },
        PinnedVector("ls", "unset weights: w_t = 1, the sum (as ew)") {
            let outcome = try Spec.combine(try LinearScalarisation.make([:], tasks: Spec.tasks(Spec.names3)), Spec.g3, losses: Spec.l3, names: Spec.names3)
            expectClose(outcome.decoderLoss, 4.5, "L_tot")
            expectClose(outcome.direction, [-0.5, 1.5, 1.5, -1.5], "d")
        },
    ]

    /// ConFIG (TorchJD `ConFIG`), computed by hand with NumPy on G3: the direction has the same
    /// cosine with every task gradient.
    static let conFIG: [PinnedVector] = [
        PinnedVector("config", "G3: w = K⁺1 scaled, d has cosine 0.297634 with every g_t") {
            let outcome = try Spec.combine(ConFIG(), Spec.g3)
            expectClose(values(outcome.encoderWeights, ["t0", "t1", "t2"], "w"), [1.27717116, 0.56973977, 1.13975056], "w")
            expectClose(outcome.direction, [0.70756689, 1.41445624, 1.28719986, -1.07090476], "d")
            let d = outcome.direction.map(Double.init)
            let norm = d.reduce(0) { $0 + $1 * $1 }.squareRoot()
            for g in Spec.g3 {
                let dot = zip(g, d).reduce(0) { $0 + Double($1.0) * $1.1 }
                let gNorm = g.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot()
                expectClose(Float(dot / (gNorm * norm)), 0.29763359, "cosine")
            }
        },
        PinnedVector("config", "one task: d = g; identical gradients: d = their sum") {
            expectClose(try Spec.combine(ConFIG(), [Spec.g3[0]]).direction, [1, 2, -1, 0.5], "T = 1")
            expectClose(try Spec.combine(ConFIG(), [Spec.g3[0], Spec.g3[0]]).direction, [2, 4, -2, 1], "rank-deficient U")
        },
    ]

    /// ExcessMTL (TorchJD `ExcessMTL`, η = 1, no warm-up) by hand on G3: at step 1, S = G⊙G and
    /// e_t = Σ_j g_tj²/√(g_tj² + 1e-7) ≈ ‖g_t‖₁ = (4.5, 4.5, 5) is the baseline, used raw:
    /// w = softmax(log(1/3) + e) = (1, 1, e^{0.5})/(2 + e^{0.5}). At step 2 on the same G,
    /// S = 2 G⊙G and ê_t = (‖g_t‖₁/√2)/‖g_t‖₁ = 1/√2 for every task: the weights do not move.
    static let excessMTL: [PinnedVector] = [
        PinnedVector("excessmtl", "G3 two steps: w = (1, 1, √e)/(2 + √e), then unchanged") {
            let strategy = ExcessMTL()
            let e = 1.6487212707001282
            let w = [1 / (2 + e), 1 / (2 + e), e / (2 + e)]
            for step in 0..<2 {
                let outcome = try Spec.combine(strategy, Spec.g3, step: step)
                expectClose(outcome.direction, [-0.04813723, 0.1444117, 0.76669122, -0.58889707], "d step \(step)")
                expectClose(values(outcome.reports.mapValues(Float.init), ["weight.t0", "weight.t1", "weight.t2"], "w"), w, "w step \(step)")
            }
        },
    ]
}
