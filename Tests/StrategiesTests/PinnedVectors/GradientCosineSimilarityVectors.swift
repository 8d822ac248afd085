import Testing
import TandemCore
import TandemStrategies

extension PinnedVectors {
    static let gcsGradients: [[Float]] = [[1, 2, -1], [2, 0, 1], [-1, -1, 0], [0.5, 1, 3]]
    static let gcsRoles: [TaskRole] = [.primary, .auxiliary, .auxiliary, .auxiliary]

    /// STRATEGIES.md §9.
    static let gradientCosineSimilarity: [PinnedVector] = [
        PinnedVector("gcs", "§9 weighted d = [1.36515, 2, −0.817426]; hard d = [3, 2, 0]") {
            for level in GradientLevel.allCases {
                let weighted = try Spec.combine(GradientCosineSimilarity(level: level), gcsGradients, roles: gcsRoles)
                expectClose(weighted.direction, [1.36515, 2, -0.817426], "weighted, \(level)")
                let hard = try Spec.combine(GradientCosineSimilarity(gate: .hard, level: level), gcsGradients, roles: gcsRoles)
                expectClose(hard.direction, [3, 2, 0], "hard, \(level)")
            }
            let gates = try Spec.combine(GradientCosineSimilarity(), gcsGradients, roles: gcsRoles).reports
            expectClose([Float(gates["gate.t1"] ?? .nan), Float(gates["gate.t2"] ?? .nan), Float(gates["gate.t3"] ?? .nan)],
                        [0.182574, 0, 0], "max(0, cos) = max(0, [0.182574, −0.866025, −0.0637577])")
        },
        PinnedVector("gcs", "without primary labels the auxiliary gradients are summed") {
            let outcome = try Spec.combine(GradientCosineSimilarity(), Array(gcsGradients.dropFirst()), roles: [.auxiliary, .auxiliary, .auxiliary])
            expectClose(outcome.direction, [1.5, 0, 4], "Σ g_aux")
        },
    ]
}
