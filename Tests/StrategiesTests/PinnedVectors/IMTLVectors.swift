import Testing
import TandemCore
import TandemStrategies

extension PinnedVectors {
    /// STRATEGIES.md §13b.
    static let imtlG: [PinnedVector] = [
        PinnedVector("imtl-g", "§13b G3 and G2: equal projections on the unit gradients") {
            let outcome = try Spec.combine(IMTLG(), Spec.g3)
            expectClose(values(outcome.encoderWeights, ["t0", "t1", "t2"], "α"), [0.427625, 0.190761, 0.381614], "G3 α")
            expectClose(outcome.direction, [0.236909, 0.473591, 0.430983, -0.358562], "G3 d")
            expectClose(try Spec.combine(IMTLG(), Spec.g2).direction, [0.299091, 1.28348, -0.149545], "G2 d")
            expectClose(try Spec.combine(IMTLG(level: .representation), Spec.g3).direction, [0.236909, 0.473591, 0.430983, -0.358562], "at z")
        },
    ]

    static let imtlL: [PinnedVector] = [
        PinnedVector("imtl-l", "§13b s = 0, L3: ∂/∂s = e^s L − 1; SGD(0.1) ⇒ s = [0.02, −0.05, −0.12]") {
            let strategy = IMTLL(tasks: Spec.tasks(Spec.names3))
            let outcome = try Spec.combine(strategy, Spec.g3, losses: Spec.l3, names: Spec.names3)
            expectClose(Spec.names3.map { outcome.ownParameterGradients["logScale.\($0)"].scalar }, [-0.2, 0.5, 1.2], "∂/∂s")
            expectClose(Spec.names3.map { strategy.ownParameters["logScale.\($0)"].scalar }, [0.02, -0.05, -0.12], "s after SGD(0.1)")
            expectClose(outcome.direction, [-0.5, 1.5, 1.5, -1.5], "at s = 0 the direction is Σ g")
        },
    ]

    static let imtl: [PinnedVector] = [
        PinnedVector("imtl", "§13b full IMTL at s = 0 is IMTL-G; at s = log(1/L) it is IMTL-G of the g_t/L_t") {
            let strategy = IMTL(tasks: Spec.tasks(Spec.names3))
            let outcome = try Spec.combine(strategy, Spec.g3, losses: Spec.l3, names: Spec.names3)
            expectClose(outcome.direction, [0.236909, 0.473591, 0.430983, -0.358562], "s = 0")
            expectClose(Spec.names3.map { strategy.ownParameters["logScale.\($0)"].scalar }, [0.02, -0.05, -0.12], "s after SGD(0.1)")
            let scaled = IMTL(tasks: Spec.tasks(Spec.names3))
            let stationary = try IMTLLossScaling.stationaryScales(losses: Spec.l3.map(Double.init))
            for (name, s) in zip(Spec.names3, stationary) { scaled.ownParameters["logScale.\(name)"] = Tensor(shape: [1], scalars: [Float(s)]) }
            let rows = zip(Spec.g3, Spec.l3).map { row, l in row.map { $0 / l } }
            let matrix = try TaskGradientMatrix(rows: rows)
            let expected = try matrix.combine(weights: IMTLGradientSolver.weights(gram: matrix.gram())).map(Double.init)
            expectClose(try Spec.combine(scaled, Spec.g3, losses: Spec.l3, names: Spec.names3).direction, expected, "s = log(1/L)")
        },
    ]
}
