import Testing
import TandemCore
import TandemStrategies

extension PinnedVectors {
    /// STRATEGIES.md §13a (iterative solver: atol 1e-4).
    static let caGrad: [PinnedVector] = [
        PinnedVector("cagrad", "§13a G2 and G3, c = 0.5, rescale 1 + c²") {
            expectClose(try Spec.combine(CAGrad(), Spec.g2).direction, [0.2, 1.5, -0.1], tolerance: 1e-4, "G2 d")
            expectClose(try Spec.combine(CAGrad(), Spec.g3).direction, [0.146476, 0.5898, 0.49001, -0.445005], tolerance: 1e-4, "G3 d")
        },
        PinnedVector("cagrad", "§13a G3, c = 0.4; rescale none is (1 + c²) times larger") {
            expectClose(try Spec.combine(CAGrad(conflictAversion: 0.4), Spec.g3).direction, [0.0943876, 0.607116, 0.493019, -0.462027],
                        tolerance: 1e-4, "c = 0.4")
            expectClose(try Spec.combine(CAGrad(rescale: .none), Spec.g2).direction, [0.25, 1.875, -0.125], tolerance: 1e-4, "no rescale")
        },
    ]
}
