import Testing
import TandemCore
import TandemStrategies

extension PinnedVectors {
    /// STRATEGIES.md §10 gradients and losses at θ = [0.3, −0.2] of the quadratic tasks.
    static let itGradients: [[Float]] = [[-0.7, -0.4], [0, -1.05], [0.65, 0.4]]
    static let itLosses: [Float] = [0.385, 0.83, 0.6325]
    static let itCandidates = ["all", "t1+t2", "t0+t2", "t0+t1"]

    static func itScores(_ outcome: GradientCombinationProblem.Outcome, _ prefix: String, _ names: [String] = itCandidates) -> [Float] {
        names.map { Float(outcome.reports[prefix + $0] ?? .nan) }
    }

    /// STRATEGIES.md §10 on the combination harness (the exact lookahead on its linear surrogate
    /// equals η × the first-order score; the quadratic vectors run in IncreasedTransferTests).
    static let increasedTransfer: [PinnedVector] = [
        PinnedVector("it", "§10 first order: g_ξ·Σ_j g_j/L_j picks {1,2}") {
            let outcome = try Spec.combine(IncreasedTransfer(inner: EqualWeighting(), lookahead: .firstOrder), itGradients, losses: itLosses)
            expectClose(itScores(outcome, "it.firstOrder."), [1.79472, 0.572713, 0.0395257, 2.97719], "first-order scores")
            expectClose(outcome.direction, [-0.7, -1.45], "g_{1,2} applied")
        },
        PinnedVector("it", "§10 cosine variant") {
            let outcome = try Spec.combine(IncreasedTransfer(inner: EqualWeighting(), lookahead: .firstOrder, firstOrderScore: .cosine),
                                           itGradients, losses: itLosses)
            expectClose(itScores(outcome, "it.firstOrder."), [0.923321, 0.336935, 0.427511, 0.999968], "cosine scores")
        },
        PinnedVector("it", "§10 exact lookahead on the linear surrogate = η × first order (η = 0.1)") {
            let outcome = try Spec.combine(IncreasedTransfer(inner: EqualWeighting()), itGradients, losses: itLosses, learningRate: 0.1)
            expectClose(itScores(outcome, "it.Z."), [0.179472, 0.0572713, 0.00395257, 0.297719], "Z_ξ")
            #expect(outcome.reports["it.chosen.t0+t1"] == 1)
        },
        PinnedVector("it", "§10 IT-PCGrad first order keeps the plain sum") {
            // Candidates {all, pcgrad}; PCGrad's orders come from its seed. Over all 8 orders PCGrad's score
            // lies in 0.885868 (the spec's ascending order) … 1.29907, below the total's 1.79472.
            let outcome = try Spec.combine(IncreasedTransfer(inner: PCGrad(seed: 0), candidates: .totalAndInner, lookahead: .firstOrder),
                                           itGradients, losses: itLosses)
            expectClose(itScores(outcome, "it.firstOrder.", ["all"]), [1.79472], "total")
            #expect(outcome.reports["it.chosen.all"] == 1)
            expectClose(outcome.direction, [-0.05, -1.05], "Σ g_t applied")
        },
    ]

    static let stageCombination: [PinnedVector] = [
        PinnedVector("combination", "UW (s₀ = −0.5) decoder with PCGrad encoder on G2: ½e^{0.5}·PCGrad(G2)") {
            let outcome = try Spec.combine(StageCombination(decoder: UncertaintyWeighting(tasks: Spec.tasks(["t0", "t1"])), encoder: PCGrad()), Spec.g2)
            expectClose(values(outcome.decoderWeights, ["t0", "t1"], "weights"), [0.824361, 0.824361], "UW weights")
            expectClose(outcome.direction, [1.04762, 3.09524, -0.52381].map { 0.824361 * $0 }, "surgery on the weighted gradients")
        },
    ]
}
