import Testing
import TandemCore
import TandemStrategies

extension PinnedVectors {
    /// STRATEGIES.md §13f (two tasks: the order is forced).
    static let gradVac: [PinnedVector] = [
        PinnedVector("gradvac", "§13f G2: the first step is PCGrad; the targets become −0.109109; the next step adjusts towards them") {
            let strategy = GradVac()
            expectClose(try Spec.combine(strategy, Spec.g2).direction, [1.04762, 3.09524, -0.52381], "step 1 = PCGrad")
            expectClose([strategy.targets["t0→t1"]!, strategy.targets["t1→t0"]!].map(Float.init), [-0.109109, -0.109109], "ρ̂")
            // Targets 0.3 by a restored state: p1, p2 as the spec.
            let primed = GradVac()
            try primed.restoreState(StrategyState(numbers: ["target.t0→t1": [0.3], "target.t1→t0": [0.3]], words: ["generator": SeededGenerator(seed: 0).state]))
            expectClose(try Spec.combine(primed, Spec.g2).direction, [1.11459, 3.93239, -0.557296], "ρ̂ = 0.3")
            expectClose([Float(primed.targets["t0→t1"]!)], [0.0408911], "new ρ̂")
        },
        PinnedVector("gradvac", "LibMTL's convention: a non-conflicting pair keeps its target") {
            let strategy = GradVac(targetUpdate: .whenAdjusted)
            _ = try Spec.combine(strategy, [[1, 0.5, 0], [0.3, 1, 0.2]])
            #expect(strategy.targets["t0→t1"] ?? 0 == 0)
            let paper = GradVac()
            _ = try Spec.combine(paper, [[1, 0.5, 0], [0.3, 1, 0.2]])
            #expect((paper.targets["t0→t1"] ?? 0) > 0)
        },
    ]
}
