import Testing
import TandemCore
import TandemStrategies

extension PinnedVectors {
    /// UW at s = [−0.5, 0, 0.7] on G3/L3; the harness steps s with SGD at lr 0.1.
    static func uncertaintyOutcome(_ variant: UncertaintyWeighting.Variant, kind: TaskKind) throws
        -> (GradientCombinationProblem.Outcome, UncertaintyWeighting) {
        let strategy = UncertaintyWeighting(tasks: Spec.tasks(Spec.names3, kind: kind), variant: variant)
        for (name, s) in zip(Spec.names3, [Float(-0.5), 0, 0.7]) { strategy.ownParameters["logVariance.\(name)"] = Tensor(shape: [1], scalars: [s]) }
        return (try Spec.combine(strategy, Spec.g3, losses: Spec.l3, names: Spec.names3), strategy)
    }

    static func logVariances(_ strategy: UncertaintyWeighting) -> [Float] { Spec.names3.map { strategy.ownParameters["logVariance.\($0)"].scalar } }
    static func ownGradients(_ outcome: GradientCombinationProblem.Outcome) -> [Float] {
        Spec.names3.map { outcome.ownParameterGradients["logVariance.\($0)"].scalar }
    }

    /// STRATEGIES.md §2.
    static let uncertaintyWeighting: [PinnedVector] = [
        PinnedVector("uw", "§2 regression form (libmtl)") {
            let (outcome, strategy) = try uncertaintyOutcome(.libmtl, kind: .depth)
            expectClose(outcome.decoderLoss, 2.05573, "total")
            expectClose(values(outcome.decoderWeights, Spec.names3, "weights"), [0.824361, 0.5, 0.248293], "weights ½e^{−s}")
            expectClose(ownGradients(outcome), [-0.159489, -0.25, -0.0462438], "∂/∂s")
            expectClose(logVariances(strategy), [-0.484051, 0.025, 0.704624], "s after SGD(0.1)")
            let expected = (0..<4).map { j in zip([0.824361, 0.5, 0.248293], Spec.g3).reduce(0.0) { $0 + $1.0 * Double($1.1[j]) } }
            expectClose(outcome.direction, expected, "the encoder gets the heads' weights")
        },
        PinnedVector("uw", "§2 classification form (kendall)") {
            let (outcome, strategy) = try uncertaintyOutcome(.kendall, kind: .classification(classes: 10))
            expectClose(outcome.decoderLoss, 4.01146, "total")
            expectClose(values(outcome.decoderWeights, Spec.names3, "weights"), [1.64872, 1, 0.496585], "weights e^{−s}")
            expectClose(ownGradients(outcome), [-0.818977, -1, -0.592488], "∂/∂s")
            expectClose(logVariances(strategy), [-0.418102, 0.1, 0.759249], "s after SGD(0.1)")
        },
        PinnedVector("uw", "§2 variant (b) e^{−s}L + s (simplified)") {
            let (outcome, _) = try uncertaintyOutcome(.simplified, kind: .depth)
            expectClose(outcome.decoderLoss, 4.11146, "total")
            expectClose(ownGradients(outcome), [-0.318977, -0.5, -0.0924877], "∂/∂s")
        },
    ]
}
