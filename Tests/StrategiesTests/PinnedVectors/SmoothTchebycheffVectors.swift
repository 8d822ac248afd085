import Testing
import TandemCore
import TandemStrategies

extension PinnedVectors {
    /// STRATEGIES.md §13m.
    static let smoothTchebycheff: [PinnedVector] = [
        PinnedVector("stch", "§13m general form, μ = 1 and μ = 0.1") {
            let general = try Spec.combine(SmoothTchebycheff(tasks: Spec.tasks(Spec.names3), form: .general), Spec.g3, losses: Spec.l3, names: Spec.names3)
            expectClose(values(general.decoderWeights, Spec.names3, "w"), [0.0864124, 0.109122, 0.137799], "μ=1 w")
            expectClose(general.direction, [-0.0629315, 0.0752477, 0.243747, -0.203715], "μ=1 d")
            let sharp = try Spec.combine(SmoothTchebycheff(tasks: Spec.tasks(Spec.names3), form: .general, smoothing: 0.1), Spec.g3,
                                         losses: Spec.l3, names: Spec.names3)
            expectClose(sharp.direction, [0.095043, -0.417044, 0.614343, -0.329084], "μ=0.1 d")
        },
        PinnedVector("stch", "§13m recipe: warm-up is the log-sum direction; after the nadir epoch the nadir-normalised one") {
            let strategy = SmoothTchebycheff(tasks: Spec.tasks(Spec.names3), warmUpEpochs: 0)
            expectClose(try Spec.combine(strategy, Spec.g3, losses: Spec.l3, names: Spec.names3).direction,
                        [0.143939, 2.48485, -0.00757576, -0.496212], "warm-up (epoch 0 accumulates L3)")
            // A restored schedule with the spec's nadir n = [1, 2, 2] (mean of [1.2, 1.8, 2.4] and [0.8, 2.2, 1.6]).
            let restored = SmoothTchebycheff(tasks: Spec.tasks(Spec.names3), warmUpEpochs: 0)
            try restored.restoreState(StrategyState(numbers: ["sums": [2, 4, 4], "count": [2], "nadir": [1, 2, 2]]))
            let after = try Spec.combine(restored, Spec.g3, losses: Spec.l3, names: Spec.names3)
            expectClose(values(after.decoderWeights, Spec.names3, "w"), [1.13208, 0.566038, 0.566038], "μ=1 w")
            expectClose(after.direction, [0.283019, 1.98113, 0.283019, -0.566038], "μ=1 d")
        },
    ]
}
