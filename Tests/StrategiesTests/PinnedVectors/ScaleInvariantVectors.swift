import Testing
import TandemCore
import TandemStrategies

extension PinnedVectors {
    /// STRATEGIES.md §13l.
    static let scaleInvariant: [PinnedVector] = [
        PinnedVector("scale-invariant", "§13l the four variants on G3, L3") {
            expectClose(try Spec.combine(ScaleInvariant(), Spec.g3, losses: Spec.l3).direction, [0.143939, 2.48485, -0.00757576, -0.496212], "log-sum")
            for variant in [ScaleInvariantLoss.Variant.geometricMeanProduct, .geometricMean] {
                expectClose(try Spec.combine(ScaleInvariant(variant: variant), Spec.g3, losses: Spec.l3).direction,
                            [0.0663121, 1.14476, -0.00349011, -0.228602], "\(variant)")
            }
            expectClose(try Spec.combine(ScaleInvariant(variant: .logOnePlus), Spec.g3, losses: Spec.l3).direction,
                        [-0.0881944, 1.04236, 0.269444, -0.434722], "log-one-plus")
        },
        PinnedVector("scale-invariant", "§13l per-task scale s = [10, 1, 0.1] on L and g leaves log-sum's d unchanged") {
            let s: [Float] = [10, 1, 0.1]
            let scaled = try Spec.combine(ScaleInvariant(), zip(Spec.g3, s).map { row, k in row.map { $0 * k } }, losses: zip(Spec.l3, s).map { $0 * $1 })
            expectClose(scaled.direction, [0.143939, 2.48485, -0.00757576, -0.496212], tolerance: 1e-4, "d unchanged")
        },
    ]
}
