import Testing
import TandemCore
import TandemStrategies

extension PinnedVectors {
    /// STRATEGIES.md §13k (atol 1e-4 on w).
    static let fairGrad: [PinnedVector] = [
        PinnedVector("fairgrad", "§13k α = 1 (= Nash-MTL) and α = 2 on G2, G3") {
            let one = try Spec.combine(FairGrad(maximumNorm: 0), Spec.g3)
            expectClose(values(one.encoderWeights, ["t0", "t1", "t2"], "w"), [0.901809, 0.517579, 0.801969], tolerance: 1e-4, "G3 α=1")
            expectClose(try Spec.combine(FairGrad(alpha: 2, maximumNorm: 0), Spec.g3).direction, [0.33837, 0.999171, 0.865098, -0.759527], tolerance: 1e-4, "G3 α=2")
            expectClose(try Spec.combine(FairGrad(alpha: 2, maximumNorm: 0), Spec.g2).direction, [0.217634, 1.11928, -0.108817], tolerance: 1e-4, "G2 α=2")
            expectClose(try Spec.combine(FairGrad(alpha: 0.5, maximumNorm: 0), Spec.g2).direction, [0.466501, 1.67379, -0.233251], tolerance: 1e-4, "G2 α=0.5")
        },
        PinnedVector("fairgrad", "the default clips ‖d‖ to 1") {
            let d = [0.267636, 1.11824, 0.960918, -0.868643]
            let norm = d.reduce(0) { $0 + $1 * $1 }.squareRoot()
            expectClose(try Spec.combine(FairGrad(), Spec.g3).direction, d.map { $0 / norm }, tolerance: 1e-4, "G3 α = 1, d/‖d‖")
        },
        PinnedVector("fairgrad", "§13k the reference's shared gradient: T·d clipped to norm 1") {
            let outcome = try Spec.combine(FairGrad(alpha: 2, scalesByTasks: true, maximumNorm: 1), Spec.g2)
            expectClose(outcome.direction, [0.190003, 0.977176, -0.0950016], tolerance: 1e-4, "G2")
            expectClose(try Spec.combine(FairGrad(alpha: 2, scalesByTasks: true, maximumNorm: 1), Spec.g3).direction,
                        [0.216703, 0.639901, 0.554036, -0.486425], tolerance: 1e-4, "G3")
        },
    ]
}
