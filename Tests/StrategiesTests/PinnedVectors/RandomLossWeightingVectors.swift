import Testing
import TandemCore
import TandemStrategies

extension PinnedVectors {
    /// STRATEGIES.md §13d and the three distributions.
    static let randomLossWeighting: [PinnedVector] = [
        PinnedVector("rlw", "§13d z = [0.3, −1.2, 0.8] ⇒ w = softmax(z); the strategy softmaxes its seeded draw") {
            expectClose(try RandomLossWeights.weights(normalSample: [0.3, -1.2, 0.8]).map(Float.init), [0.348207, 0.0776956, 0.574097], "w")
            for distribution in RandomLossWeighting.Distribution.allCases {
                var generator = SeededGenerator(seed: 0)
                let draw = RandomLossWeighting.draw(distribution, taskCount: 3, using: &generator)
                let w = try RandomLossWeights.weights(normalSample: draw)
                let outcome = try Spec.combine(RandomLossWeighting(distribution: distribution), Spec.g3, losses: Spec.l3)
                expectClose(values(outcome.decoderWeights, ["t0", "t1", "t2"], "w"), w, "\(distribution) weights")
                if distribution == .dirichlet { #expect(abs(draw.reduce(0, +) - 1) < 1e-12) }
                if distribution == .uniform { #expect(draw.allSatisfy { $0 >= 0 && $0 < 1 }) }
            }
        },
    ]
}
