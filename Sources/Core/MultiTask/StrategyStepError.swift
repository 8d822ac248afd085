/// A strategy failed during a training step (a solver that did not converge, a malformed
/// problem, a broken contract): the step, the strategy and the stage are named.
public struct StrategyStepError: Error, CustomStringConvertible {
    public var step: Int
    public var strategy: String
    public var stage: String
    public var underlying: any Error

    public init(step: Int, strategy: String, stage: String, underlying: any Error) {
        self.step = step
        self.strategy = strategy
        self.stage = stage
        self.underlying = underlying
    }

    public var description: String { "step \(step): strategy '\(strategy)' failed in its \(stage): \(underlying)" }
}
