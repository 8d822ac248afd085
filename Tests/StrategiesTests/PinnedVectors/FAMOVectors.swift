import Testing
import TandemCore
import TandemStrategies

extension PinnedVectors {
    /// STRATEGIES.md §13j: the weights at ξ = 0, and the post-step update through the harness
    /// (which steps meta-parameters with plain SGD at lr 0.1).
    static let famo: [PinnedVector] = [
        PinnedVector("famo", "§13j step 0: w = (1/L)/Σ(1/L); after the step ξ moves along z ⊙ (δ − zᵀδ)") {
            let strategy = FAMO(tasks: Spec.tasks(Spec.names3))
            let outcome = try Spec.combine(strategy, Spec.g3, losses: Spec.l3, names: Spec.names3)
            expectClose(values(outcome.decoderWeights, Spec.names3, "w"), [0.527157, 0.28115, 0.191693], "w₀")
            expectClose(outcome.direction, [0.0607029, 1.04792, -0.00319488, -0.209265], "d₀")
            let after = Spec.names3.map { Double(outcome.lossesAfterUpdate[$0]!) }
            let gradient = try FAMOWeighting.logitGradient(logits: [0, 0, 0], lossesBefore: Spec.l3.map(Double.init), lossesAfter: after)
            expectClose(Spec.names3.map { strategy.metaParameters["logit.\($0)"].scalar }, gradient.map { -0.1 * $0 }, "ξ₁ = −0.1 ∇ξ")
            #expect(FAMO.description.defaultStrategyOptimizer == OptimizerDefault(.adam, learningRate: 0.025, weightDecay: 1e-3))
        },
        PinnedVector("famo", "§13j offsets b = [0.3, 0.5, 1.0] by a shared offset reproduce the per-task formula") {
            let outcome = try Spec.combine(FAMO(tasks: Spec.tasks(Spec.names3), offset: 0.3), Spec.g3, losses: Spec.l3, names: Spec.names3)
            let expected = try FAMOWeighting.weights(logits: [0, 0, 0], losses: Spec.l3.map(Double.init), offsets: [0.3, 0.3, 0.3]).weights
            expectClose(values(outcome.decoderWeights, Spec.names3, "w"), expected, "w with b = 0.3")
        },
    ]
}
