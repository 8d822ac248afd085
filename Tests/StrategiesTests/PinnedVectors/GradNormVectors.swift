import Testing
import TandemCore
import TandemStrategies

extension PinnedVectors {
    /// GradNorm on gradients at z with norms n = [2, 0.5, 1] (the `representation` layer), L(0) from
    /// the first step; the harness steps w with SGD at lr 0.1, as STRATEGIES.md §4.
    static func gradNormAfterTwoSteps(initialWeights: [Float]) throws -> (first: GradientCombinationProblem.Outcome, strategy: GradNorm) {
        let strategy = GradNorm(tasks: Spec.tasks(Spec.names3), layer: .representation)
        for (name, w) in zip(Spec.names3, initialWeights) { strategy.metaParameters["weight.\(name)"] = Tensor(shape: [1], scalars: [w]) }
        let rows: [[Float]] = [[2, 0, 0], [0, 0.5, 0], [0, 0, 1]]
        // Step 0 fixes L(0) = [2, 1, 0.5] and updates w at r = 1; reset w, then the spec's step.
        _ = try Spec.combine(strategy, rows, losses: [2, 1, 0.5], names: Spec.names3)
        for (name, w) in zip(Spec.names3, initialWeights) { strategy.metaParameters["weight.\(name)"] = Tensor(shape: [1], scalars: [w]) }
        let outcome = try Spec.combine(strategy, rows, losses: [1, 0.8, 0.3], names: Spec.names3, step: 1)
        return (outcome, strategy)
    }

    /// STRATEGIES.md §4.
    static let gradNorm: [PinnedVector] = [
        PinnedVector("gradnorm", "§4 w = [1, 1, 1] → [0.813559, 1.0678, 1.11864]; the step uses the weights before") {
            let (outcome, strategy) = try gradNormAfterTwoSteps(initialWeights: [1, 1, 1])
            expectClose(values(outcome.encoderWeights, Spec.names3, "encoder"), [1, 1, 1], "pre-update weights train the network")
            expectClose(Float(outcome.reports["gradNormLoss"] ?? .nan), 2.41369, "L_grad")
            expectClose(Spec.names3.map(strategy.weight), [0.813559, 1.0678, 1.11864], "after SGD and renormalisation")
        },
        PinnedVector("gradnorm", "§4 w = [1.2, 0.8, 1] → [1.01695, 0.864407, 1.11864]") {
            let (outcome, strategy) = try gradNormAfterTwoSteps(initialWeights: [1.2, 0.8, 1])
            expectClose(values(outcome.decoderWeights, Spec.names3, "heads"), [1.2, 0.8, 1], "pre-update weights train the heads")
            expectClose(Float(outcome.reports["gradNormLoss"] ?? .nan), 3.07772, "L_grad")
            expectClose(Spec.names3.map(strategy.weight), [1.01695, 0.864407, 1.11864], "after SGD and renormalisation")
        },
    ]
}
