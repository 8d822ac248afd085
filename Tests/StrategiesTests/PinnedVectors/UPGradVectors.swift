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
        PinnedVector("upgrad", "§13h G3 with preference p = [0.8, 0.1, 0.1] (option preference_weights), exact and peer") {
            let p: OptionValue = .list([.number(0.8), .number(0.1), .number(0.1)])
            let exact = try UPGrad.make(["preference_weights": p], tasks: Spec.tasks(["t0", "t1", "t2"]))
            let outcome = try Spec.combine(exact, Spec.g3)
            expectClose(values(outcome.encoderWeights, ["t0", "t1", "t2"], "w"), [0.92913, 0.292928, 0.681915], "G3 p w")
            expectClose(outcome.direction, [0.684231, 1.12832, 0.581164, -0.510278], "G3 p d")
            let peer = try UPGrad.make(["preference_weights": p, "norm_eps": .number(1e-4), "reg_eps": .number(1e-4)], tasks: Spec.tasks(["t0", "t1", "t2"]))
            expectClose(try Spec.combine(peer, Spec.g3).direction, [0.684215, 1.12837, 0.580818, -0.510047], "G3 p peer")
            // ones: the sum of the projections, 3 × the mean's direction.
            let ones = try UPGrad.make(["preference": .text("ones")], tasks: Spec.tasks(["t0", "t1", "t2"]))
            expectClose(try Spec.combine(ones, Spec.g3).direction, [0.15387, 0.977315, 0.842487, -0.778229].map { 3 * $0 }, "G3 ones")
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
        PinnedVector("dualproj", "§13i G3 with preference p = [0.8, 0.1, 0.1]: M p has two negative entries, both constraints become tight") {
            let p: OptionValue = .list([.number(0.8), .number(0.1), .number(0.1)])
            let exact = try DualProj.make(["preference_weights": p], tasks: Spec.tasks(["t0", "t1", "t2"]))
            let outcome = try Spec.combine(exact, Spec.g3)
            expectClose(values(outcome.encoderWeights, ["t0", "t1", "t2"], "w"), [0.8, 0.171582, 0.544772], "G3 p w")
            expectClose(outcome.direction, [0.729223, 0.954424, 0.375335, -0.316354], "G3 p d")
            let peer = try DualProj.make(["preference_weights": p, "norm_eps": .number(1e-4), "reg_eps": .number(1e-4)], tasks: Spec.tasks(["t0", "t1", "t2"]))
            expectClose(try Spec.combine(peer, Spec.g3).direction, [0.729281, 0.954581, 0.375002, -0.316137], "G3 p peer")
        },
        PinnedVector("dualproj", "preference_weights must have one number per task and not be all zero") {
            #expect(throws: OptionError.self) { try DualProj.make(["preference_weights": .list([.number(1), .number(1)])], tasks: Spec.tasks(["t0", "t1", "t2"])) }
            #expect(throws: OptionError.self) { try UPGrad.make(["preference_weights": .list([.number(0), .number(0), .number(0)])], tasks: Spec.tasks(["t0", "t1", "t2"])) }
        },
    ]
}
