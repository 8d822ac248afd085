import Testing
import TandemCore
import TandemStrategies

extension PinnedVectors {
    /// STRATEGIES.md §1.
    static let equalWeighting: [PinnedVector] = [
        PinnedVector("ew", "§1 sum: L = 4.5, d = Σ g") {
            let outcome = try Spec.combine(EqualWeighting(), Spec.g3, losses: Spec.l3)
            expectClose(outcome.decoderLoss, 4.5, "L_tot")
            expectClose(outcome.direction, [-0.5, 1.5, 1.5, -1.5], "d")
        },
        PinnedVector("ew", "§1 mean: L = 1.5, d = mean g") {
            let outcome = try Spec.combine(EqualWeighting(reduction: .mean), Spec.g3, losses: Spec.l3)
            expectClose(outcome.decoderLoss, 1.5, "L_tot")
            expectClose(outcome.direction, [-0.166667, 0.5, 0.5, -0.5], "d")
        },
    ]
}
