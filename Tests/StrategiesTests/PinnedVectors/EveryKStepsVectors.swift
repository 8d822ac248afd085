import Testing
import TandemCore
import TandemStrategies

extension PinnedVectors {
    /// The every-k-steps wrapper: the first step computes, the next k − 1 reuse its weights on new
    /// gradients, step k computes again; a direction-answering strategy is refused.
    static let everyKSteps: [PinnedVector] = [
        PinnedVector("every-k-steps", "Nash-MTL every 3 steps: α from G3 reused on G2-like inputs, recomputed at step 3") {
            let wrapper = try EveryKSteps(NashMTL(maximumNorm: 0), every: 3)
            let first = try Spec.combine(wrapper, Spec.g3)
            let alpha = values(first.encoderWeights, ["t0", "t1", "t2"], "α")
            expectClose(alpha, [0.901809, 0.517579, 0.801969], tolerance: 1e-4, "step 0 computes")
            let other: [[Float]] = Spec.g3.map { $0.map { $0 * 2 } }
            for step in 1...2 {
                let reused = try Spec.combine(wrapper, other)
                expectClose(values(reused.encoderWeights, ["t0", "t1", "t2"], "α"), alpha.map(Double.init), "step \(step) reuses")
                #expect(reused.reports["every-k.recomputed"] == 0)
            }
            let again = try Spec.combine(wrapper, other)
            expectClose(values(again.encoderWeights, ["t0", "t1", "t2"], "α"), alpha.map { Double($0) / 2 }, tolerance: 1e-4, "step 3 recomputes: α(2G) = α/2")
        },
        PinnedVector("every-k-steps", "a strategy answering with a direction, or training own parameters, is refused") {
            #expect(throws: (any Error).self) { try Spec.combine(try EveryKSteps(PCGrad(), every: 2), Spec.g3) }
            #expect(throws: (any Error).self) { try EveryKSteps(IMTLL(tasks: Spec.tasks(["t0", "t1", "t2"])), every: 2) }
        },
    ]
}
