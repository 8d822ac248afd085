import TandemCore
import TandemStrategies

/// One pinned test vector of a strategy (STRATEGIES.md), run through the real training step on
/// the combination harness. Each strategy's vectors live in their own file in this folder; the
/// meta-test fails for a registered strategy without any.
struct PinnedVector: CustomStringConvertible, Sendable {
    let strategy: String
    let name: String
    let check: @Sendable () throws -> Void

    init(_ strategy: String, _ name: String, _ check: @escaping @Sendable () throws -> Void) {
        self.strategy = strategy
        self.name = name
        self.check = check
    }

    var description: String { "\(strategy): \(name)" }
}

/// The common inputs of STRATEGIES.md §0.
enum Spec {
    static let g2: [[Float]] = [[2, 1, -1], [-1, 1.5, 0.5]]
    static let g3: [[Float]] = [[1, 2, -1, 0.5], [-2, 1, 0.5, -1], [0.5, -1.5, 2, -1]]
    static let l3: [Float] = [0.8, 1.5, 2.2]
    static let names3 = ["a", "b", "c"]

    static func tasks(_ names: [String], kind: TaskKind = .regression(outputs: 1), roles: [TaskRole]? = nil) -> [TaskSpec] {
        zip(names, roles ?? names.map { _ in .primary }).map { TaskSpec(name: $0, kind: kind, role: $1) }
    }

    static func combine(_ strategy: any GradientCombiner, _ gradients: [[Float]], losses: [Float]? = nil, names: [String]? = nil,
                        roles: [TaskRole]? = nil, learningRate: Float = 0.1, strategyLearningRate: Float? = nil,
                        step: Int = 0) throws -> GradientCombinationProblem.Outcome {
        try GradientCombinationProblem(gradients: gradients, losses: losses, taskNames: names ?? (0..<gradients.count).map { "t\($0)" },
                                       roles: roles, learningRate: learningRate, strategyLearningRate: strategyLearningRate,
                                       step: step).combine(with: strategy)
    }
}
