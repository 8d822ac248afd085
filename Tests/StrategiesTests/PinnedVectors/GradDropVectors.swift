import Testing
import TandemCore
import TandemStrategies

extension PinnedVectors {
    /// STRATEGIES.md §13e: the spec's B = 2, D = 3 case (through the maths: the harness's z is 1×P),
    /// and the strategy at the parameters with its seeded thresholds.
    static let gradDrop: [PinnedVector] = [
        PinnedVector("graddrop", "§13e spec vector; the strategy reproduces the combination with its seeded U") {
            let result = try GradDropCombination.combine(taskGradients: [[0.5, -1, 0.2, 0.3, 0.4, -0.1], [-0.2, 0.6, 0.3, -0.4, -0.2, 0.5]],
                                                         activations: [1, -2, 0.5, -0.3, 1, 2], featureCount: 3, thresholds: [0.3, 0.6, 0.9])
            expectClose(result.combined, [0.3, -1, 0.5, -0.1, 0.4, 0.4], "h")
            var generator = SeededGenerator(seed: 0)
            let u = GradDropCombination.randomThresholds(featureCount: 4, using: &generator)
            let expected = try GradDropCombination.combine(taskGradients: Spec.g3, activations: [1, 1, 1, 1], featureCount: 4, thresholds: u)
            expectClose(try Spec.combine(GradDrop(level: .parameters), Spec.g3).direction, expected.combined.map(Double.init), "parameters")
            // At z (= θ = 0 in the harness) zero activations count as positive: the same combination.
            expectClose(try Spec.combine(GradDrop(), Spec.g3).direction, expected.combined.map(Double.init), "representation")
        },
    ]
}
