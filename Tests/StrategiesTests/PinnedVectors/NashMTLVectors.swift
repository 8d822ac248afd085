import Testing
import TandemCore
import TandemStrategies

extension PinnedVectors {
    /// STRATEGIES.md §13c (atol 1e-4 on α).
    static let nashMTL: [PinnedVector] = [
        PinnedVector("nash-mtl", "§13c G3 and G2: α_t g_t·d = 1 (no max-norm rescale)") {
            let outcome = try Spec.combine(NashMTL(maximumNorm: 0), Spec.g3)
            expectClose(values(outcome.encoderWeights, ["t0", "t1", "t2"], "α"), [0.901809, 0.517579, 0.801969], tolerance: 1e-4, "G3 α")
            expectClose(outcome.direction, [0.267636, 1.11824, 0.960918, -0.868643], tolerance: 1e-4, "G3 d")
            #expect(outcome.reports["nash.converged"] == 1)
            expectClose(try Spec.combine(NashMTL(maximumNorm: 0), Spec.g2).direction, [0.318909, 1.36853, -0.159454], tolerance: 1e-4, "G2 d")
        },
        PinnedVector("nash-mtl", "§13c max_norm = 1 rescales d to unit norm") {
            let d = [0.267636, 1.11824, 0.960918, -0.868643]
            let norm = d.reduce(0) { $0 + $1 * $1 }.squareRoot()
            expectClose(try Spec.combine(NashMTL(), Spec.g3).direction, d.map { $0 / norm }, tolerance: 1e-4, "d/‖d‖")
        },
        PinnedVector("nash-mtl", "no positive root: the previous α is reused and reported, never equal weights") {
            let strategy = NashMTL(maximumNorm: 0)
            _ = try Spec.combine(strategy, Spec.g2)
            let opposite = try Spec.combine(strategy, [[1, 0, 0], [-1, 0, 0]])
            #expect(opposite.reports["nash.converged"] == 0)
            expectClose(values(opposite.encoderWeights, ["t0", "t1"], "α"), [0.461723, 0.604537], tolerance: 1e-4, "previous α")
            #expect(throws: (any Error).self) { try Spec.combine(NashMTL(maximumNorm: 0), [[1, 0, 0], [-1, 0, 0]]) }
        },
    ]
}
