import Testing
import TandemCore
import TandemStrategies

extension PinnedVectors {
    static func mgdaWeights(_ strategy: MGDA, _ gradients: [[Float]], losses: [Float]? = nil) throws -> [Float] {
        let outcome = try Spec.combine(strategy, gradients, losses: losses)
        return values(outcome.encoderWeights, (0..<gradients.count).map { "t\($0)" }, "α")
    }

    /// STRATEGIES.md §6 (iterative solver: atol 1e-4 on the weights).
    static let mgda: [PinnedVector] = [
        PinnedVector("mgda-ub", "§6 T1: G2, two-task closed form") {
            let outcome = try Spec.combine(MGDA(), Spec.g2)
            expectClose(values(outcome.encoderWeights, ["t0", "t1"], "α"), [0.391304, 0.608696], tolerance: 1e-4, "α")
            expectClose(outcome.direction, [0.173913, 1.30435, -0.0869565], tolerance: 1e-4, "d")
        },
        PinnedVector("mgda-ub", "§6 T2: G3 with none, l2 and loss+ normalisations, at z and on θ_s") {
            for level in GradientLevel.allCases {
                expectClose(try mgdaWeights(MGDA(level: level), Spec.g3, losses: Spec.l3), [0.428355, 0.193881, 0.377764], tolerance: 1e-4, "none, \(level)")
                expectClose(try mgdaWeights(MGDA(level: level, normalisation: .l2), Spec.g3, losses: Spec.l3), [0.412597, 0.184057, 0.403346],
                            tolerance: 1e-4, "l2, \(level)")
                expectClose(try mgdaWeights(MGDA(level: level, normalisation: .lossPlus), Spec.g3, losses: Spec.l3), [0.203947, 0.179282, 0.616771],
                            tolerance: 1e-4, "loss+, \(level)")
            }
            let raw = try Spec.combine(MGDA(normalisation: .lossPlus), Spec.g3, losses: Spec.l3)
            expectClose(raw.direction, [0.153769, -0.337982, 1.11924, -0.69408], tolerance: 1e-3, "α on the raw gradients")
        },
        PinnedVector("mgda-ub", "§6 T3: full-tensor and batch-summed inner products at z") {
            // B = 2, D = 2 gradients at z, laid out as rows [h_{b=0}, h_{b=1}]; the harness's z is 1×P,
            // so the batch-summed convention is checked on the summed rows directly.
            expectClose(try mgdaWeights(MGDA(), [[1, 0, 0, 1], [-1, 0.5, 0.5, -0.5]]), [0.481481, 0.518519], tolerance: 1e-4, "full")
            expectClose(try mgdaWeights(MGDA(), [[1, 1], [-0.5, 0]]), [0.230769, 0.769231], tolerance: 1e-4, "batch-summed rows")
        },
    ]
}
