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
    ]

    func testEveryStrategyHasTheSharedProperties() throws {
        for strategy in Self.strategies { try StrategyPropertyKit.run(strategy) }
    }
}
