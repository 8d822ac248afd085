import Testing
import TandemCore
import TandemStrategies

extension PinnedVectors {
    static let ialNames = ["p", "a1", "a2"]
    static let ialRoles: [TaskRole] = [.primary, .auxiliary, .auxiliary]

    static func ial(_ shape: ImpartialAuxiliaryLearning.Shape = .linear, kappa: Float = 2) -> ImpartialAuxiliaryLearning {
        let strategy = ImpartialAuxiliaryLearning(tasks: Spec.tasks(ialNames, kind: .depth, roles: ialRoles), shape: shape, kappa: kappa)
        // σ = [0.3, 0.8] for the auxiliaries: s = log σ².
        strategy.ownParameters["logVariance.a1"] = Tensor(shape: [1], scalars: [-2.40795])
        strategy.ownParameters["logVariance.a2"] = Tensor(shape: [1], scalars: [-0.446287])
        return strategy
    }

    static let ialGradients: [[Float]] = [[0.5, -1, 2], [1, 0.5, 0], [-3, 1, 4]]

    /// STRATEGIES.md §12.
    static let impartialAuxiliaryLearning: [PinnedVector] = [
        PinnedVector("ial", "§12 gates f(σ) for the three shapes of g") {
            expectClose([ial().weight(sigma: 0.3), ial().weight(sigma: 0.8), ial().weight(sigma: 1.4)], [0.7, 0.2, 0], "linear")
            expectClose([ial(.scaled).weight(sigma: 0.3), ial(.scaled).weight(sigma: 0.8)], [1, 0.4], "scaled κ = 2")
            expectClose([ial(.exponential).weight(sigma: 0.3), ial(.exponential).weight(sigma: 0.8)], [1, 0.221403], "exponential")
        },
        PinnedVector("ial", "§12 ∇_z and decoder weights for every g") {
            let expected: [(ImpartialAuxiliaryLearning.Shape, [Double])] = [
                (.linear, [1.66496, -0.192842, 2.35949]), (.scaled, [2.01016, 0.204438, 2.71897]), (.exponential, [2.25092, 0.124184, 2.39796]),
            ]
            for (shape, direction) in expected {
                let outcome = try Spec.combine(ial(shape), ialGradients, losses: [1, 1, 1], names: ialNames, roles: ialRoles)
                expectClose(outcome.direction, direction, tolerance: 1e-4, "∇_z, g = \(shape)")
                expectClose(values(outcome.decoderWeights, ["a1", "a2"], "weights"), [5.55556, 0.78125], tolerance: 1e-4, "1/(2σ²)")
            }
        },
    ]
}
