/// A strategy broke its side of the protocol: it asked the step context for something it did not
/// declare, returned a gradient of the wrong shape, or reported that its own computation failed.
public struct StrategyContractError: Error, CustomStringConvertible, Equatable {
    public var strategy: String
    public var problem: String

    public init(strategy: String, problem: String) {
        self.strategy = strategy
        self.problem = problem
    }

    /// The strategy asked for `quantity` without declaring `requirement`.
    static func undeclared(_ strategy: String, _ quantity: String, requirement: String) -> StrategyContractError {
        StrategyContractError(strategy: strategy,
                              problem: "asked the step context for \(quantity) but does not declare `.\(requirement)` in its requirements")
    }

    public var description: String { "strategy '\(strategy)': \(problem)" }
}
