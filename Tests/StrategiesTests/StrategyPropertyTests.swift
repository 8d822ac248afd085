import XCTest
import TandemCore
import TandemStrategies

/// Runs the property kit against every built-in strategy.
final class StrategyPropertyTests: XCTestCase {
    static let strategies: [StrategyUnderTest] = [
        StrategyUnderTest(name: "ew", make: { _ in EqualWeighting() }),
        StrategyUnderTest(name: "ew-mean", make: { _ in EqualWeighting(reduction: .mean) }),
        StrategyUnderTest(name: "uw", make: { UncertaintyWeighting(tasks: $0) }),
        StrategyUnderTest(name: "uw-kendall", make: { UncertaintyWeighting(tasks: $0, variant: .kendall) }),
        StrategyUnderTest(name: "dwa", make: { _ in DynamicWeightAverage() }),
        StrategyUnderTest(name: "gradnorm", make: { _ in GradNorm(layer: .representation) }),
        StrategyUnderTest(name: "gradnorm-all-shared", make: { _ in GradNorm(layer: .allShared) }),
        StrategyUnderTest(name: "pcgrad", make: { _ in PCGrad(seed: 5) }, orderInvariant: false),
        StrategyUnderTest(name: "pcgrad-representation-mean", make: { _ in PCGrad(level: .representation, reduction: .mean, seed: 5) },
                          orderInvariant: false),
        StrategyUnderTest(name: "mgda-ub", make: { _ in MGDA() }),
        StrategyUnderTest(name: "mgda-l2-parameters", make: { _ in MGDA(level: .parameters, normalisation: .l2) }),
        StrategyUnderTest(name: "mgda-loss+", make: { _ in MGDA(normalisation: .lossPlus) }),
        StrategyUnderTest(name: "ial", make: { ImpartialAuxiliaryLearning(tasks: $0) }, roles: ialRoles),
        StrategyUnderTest(name: "ial-norm-only", make: { ImpartialAuxiliaryLearning(tasks: $0, mode: .normOnly) }, roles: ialRoles),
        StrategyUnderTest(name: "ial-exponential", make: { ImpartialAuxiliaryLearning(tasks: $0, shape: .exponential) }, roles: ialRoles),
    ]

    /// IAL needs a primary task; the others are auxiliary.
    static func ialRoles(_ count: Int) -> [TaskRole] { [.primary] + [TaskRole](repeating: .auxiliary, count: count - 1) }

    func testEveryStrategyHasTheSharedProperties() throws {
        for strategy in Self.strategies { try StrategyPropertyKit.run(strategy) }
    }
}
