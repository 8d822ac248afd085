import Tandem

/// Sum of log-losses: D = Σ_t log(L_t + ε). Heads and encoder get (1/(L_t + ε))·∇L_t, so a task
/// whose loss is already small is not drowned out by one whose loss is large. Written on the
/// `LossScalarisation` adaptor: one differentiable scalar of the losses trains heads and encoder.
final class LogLossSum: LossScalarisation, RegisteredStrategy {
    static let description = StrategyDescription(
        name: "log-loss-sum", title: "Sum of log-losses (an example from a downstream package)",
        formula: "D = Σ_t log(L_t + ε)",
        paper: "none: an illustration of a strategy on the LossScalarisation adaptor",
        options: [OptionSpec("epsilon", .number(0...1), default: .number(1e-8), "added to each loss before the logarithm")],
        cost: "as equal weighting: one backward pass",
        behaviour: StrategyBehaviour(scaling: .homogeneous))

    let epsilon: Float

    init(options: Options, context: StrategyBuildContext) throws { epsilon = options.float("epsilon")! }

    func scalarisedLoss(_ losses: [String: Tensor], ownParameters: Parameters, context: StepContext) throws -> Tensor {
        context.taskNames.map { log(losses[$0]! + epsilon) }.reduce(Tensor(0), +)
    }
}
