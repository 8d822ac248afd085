import Testing
import TandemCore
import TandemStrategies

extension PinnedVectors {
    /// STRATEGIES.md §13h (exact QP and the peers' regularisation).
    static let upGrad: [PinnedVector] = [
        PinnedVector("upgrad", "§13h G2 and G3, exact and with norm_eps = reg_eps = 1e-4") {
            expectClose(try Spec.combine(UPGrad(), Spec.g2).direction, [0.52381, 1.54762, -0.261905], "G2 exact = PCGrad mean")
            expectClose(try Spec.combine(UPGrad(numerics: .peer), Spec.g2).direction, [0.523822, 1.54755, -0.261911], "G2 peer")
            let outcome = try Spec.combine(UPGrad(), Spec.g3)
            expectClose(values(outcome.encoderWeights, ["t0", "t1", "t2"], "w"), [0.763766, 0.475981, 0.684131], "G3 w")
            expectClose(outcome.direction, [0.15387, 0.977315, 0.842487, -0.778229], "G3 d")
            expectClose(try Spec.combine(UPGrad(numerics: .peer), Spec.g3).direction, [0.153644, 0.977042, 0.842305, -0.778089], "G3 peer")
            expectClose(try Spec.combine(UPGrad(numerics: .peer), [[-4, 1, 1], [6, 1, 1]]).direction, [0.292902, 1.90035, 1.90035], "TorchJD docstring")
        },
    ]

    /// STRATEGIES.md §13i.
    static let dualProj: [PinnedVector] = [
        PinnedVector("dualproj", "§13i the mean conflicts with no task in G2, G3: d = mean") {
            expectClose(try Spec.combine(DualProj(), Spec.g2).direction, [0.5, 1.25, -0.25], "G2")
            expectClose(try Spec.combine(DualProj(numerics: .peer), Spec.g3).direction, [-0.166667, 0.5, 0.5, -0.5], "G3 peer")
        },
        PinnedVector("dualproj", "§13i a conflicting mean is projected: G d ≥ 0") {
            // The mean [−0.5, 0.05] conflicts with g1: it is projected.
            let rows: [[Float]] = [[1, 0], [-2, 0.1]]
            let outcome = try Spec.combine(DualProj(), rows)
            for row in rows { #expect(zip(row, outcome.direction).reduce(Float(0)) { $0 + $1.0 * $1.1 } >= -1e-6) }
        },
    ]
}
