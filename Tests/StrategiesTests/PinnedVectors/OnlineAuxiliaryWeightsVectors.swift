import Testing
import TandemCore
import TandemStrategies

extension PinnedVectors {
    static let olAuxNames = ["main", "aux1", "aux2"]
    static let olAuxRoles: [TaskRole] = [.primary, .auxiliary, .auxiliary]
    static let olAuxSteps: [[[Float]]] = [
        [[1, -0.5, 0.2], [0.5, 0.5, 0], [-1, 2, 0]],
        [[0.8, -0.4, 0.1], [0.4, 0.1, 0.2], [-0.5, 1.5, -0.2]],
        [[0.6, -0.2, 0.3], [0.3, 0, 0.1], [-0.8, 1, 0]],
    ]

    /// Three steps of §8's gradients with N = 3; α is the network's and β the strategy group's learning rate.
    static func olAuxWeights(alpha: Float, beta: Float) throws -> [Float] {
        let strategy = OnlineLearningAuxiliaryWeights(tasks: Spec.tasks(olAuxNames, roles: olAuxRoles), interval: 3)
        for (step, gradients) in olAuxSteps.enumerated() {
            _ = try Spec.combine(strategy, gradients, losses: [1, 1, 1], names: olAuxNames, roles: olAuxRoles,
                                 learningRate: alpha, strategyLearningRate: beta, step: step)
            if step < 2 { expectClose(["aux1", "aux2"].map(strategy.weight), [1, 1], "weights wait for the N-th step") }
        }
        return ["aux1", "aux2"].map(strategy.weight)
    }

    /// STRATEGIES.md §8.
    static let onlineAuxiliaryWeights: [PinnedVector] = [
        PinnedVector("ol-aux", "§8 N = 3, α = 0.01, β = 5 ⇒ w = [1.038, 0.815]") {
            expectClose(try olAuxWeights(alpha: 0.01, beta: 5), [1.038, 0.815], "w")
        },
        PinnedVector("ol-aux", "§8 α = 1, β = 0.5 ⇒ raw [1.38, −0.85] clipped to [1.38, 0]") {
            expectClose(try olAuxWeights(alpha: 1, beta: 0.5), [1.38, 0], "w")
        },
        PinnedVector("ol-aux", "the direction is g_main + Σ w_k g_aux,k with the weights before the update") {
            let strategy = OnlineLearningAuxiliaryWeights(tasks: Spec.tasks(olAuxNames, roles: olAuxRoles), interval: 1, initialWeight: 0.5)
            let outcome = try Spec.combine(strategy, olAuxSteps[0], losses: [1, 1, 1], names: olAuxNames, roles: olAuxRoles)
            expectClose(outcome.direction, [1 + 0.25 - 0.5, -0.5 + 0.25 + 1, 0.2], "d with w = 0.5")
        },
    ]
}
