import Testing
import TandemCore
import TandemStrategies

extension PinnedVectors {
    /// STRATEGIES.md §13g.
    static let alignedMTL: [PinnedVector] = [
        PinnedVector("aligned-mtl", "§13g G3 and G2, preference ones and mean") {
            let outcome = try Spec.combine(AlignedMTL(), Spec.g3)
            expectClose(values(outcome.encoderWeights, ["t0", "t1", "t2"], "α"), [1.10002, 0.676421, 0.999509], "G3 α")
            expectClose(outcome.direction, [0.246933, 1.3772, 1.23721, -1.12592], "G3 d")
            expectClose(try Spec.combine(AlignedMTL(preference: .mean), Spec.g3).direction, [0.0823109, 0.459065, 0.412403, -0.375307], "mean")
            expectClose(try Spec.combine(AlignedMTL(), Spec.g2).direction, [0.598003, 2.41897, -0.299001], "G2 d")
        },
    ]
}
