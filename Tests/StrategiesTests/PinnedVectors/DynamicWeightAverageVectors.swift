import Testing
import TandemCore
import TandemStrategies

extension PinnedVectors {
    /// STRATEGIES.md §3.
    static let dynamicWeightAverage: [PinnedVector] = [
        PinnedVector("dwa", "§3 weights 1 for two epochs, then T·softmax(r/τ)") {
            for temperature in [Float(2), 1] {
                let dwa = DynamicWeightAverage(temperature: temperature)
                let first = try Spec.combine(dwa, Spec.g3, losses: Spec.l3, names: Spec.names3)
                expectClose(values(first.decoderWeights, Spec.names3, "epoch 0"), [1, 1, 1], "epoch 0")
                dwa.epochEnded(meanLosses: ["a": 1.0, "b": 2.0, "c": 0.5])
                let second = try Spec.combine(dwa, Spec.g3, losses: Spec.l3, names: Spec.names3)
                expectClose(values(second.decoderWeights, Spec.names3, "epoch 1"), [1, 1, 1], "epoch 1")
                dwa.epochEnded(meanLosses: ["a": 0.8, "b": 1.9, "c": 0.45])
                let third = try Spec.combine(dwa, Spec.g3, losses: Spec.l3, names: Spec.names3)
                let expected = temperature == 2 ? [0.958725, 1.03339, 1.00788] : [0.918272, 1.06688, 1.01485]
                expectClose(values(third.decoderWeights, Spec.names3, "epoch 2"), expected, "epoch-2 weights, τ = \(temperature)")
                expectClose(values(third.encoderWeights, Spec.names3, "encoder"), expected, "encoder weights")
            }
        },
    ]
}
