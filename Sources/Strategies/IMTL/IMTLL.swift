import TandemCore

/// IMTL-L, the loss half of Impartial Multi-Task Learning (Liu et al., ICLR 2021),
/// STRATEGIES.md §13b: a learnt scale s_t per task (init 0) and the scaled loss
/// `Σ_t e^{s_t} L_t − s_t`, minimised by the network and by s (`∂/∂s_t = e^{s_t}L_t − 1`, stationary
/// at `e^{s_t} = 1/L_t`, where every scaled loss is 1). Heads and encoder get `e^{s_t}∇L_t`.
public final class IMTLL: LossScalarisation, RegisteredStrategy {
    public static let description = StrategyDescription(
        name: "imtl-l", title: "IMTL-L (impartial loss scaling)",
        formula: "minimise Σ_t e^{s_t} L_t − s_t over the network and s (s₀ = 0)",
        paper: "Liu, Li, Kuang, Xue, Chen, Yang, Liao & Zhang, \"Towards Impartial Multi-task Learning\", ICLR 2021",
        cost: "as EW (the scales train with the strategy optimiser group)",
        conventions: ["s_t is the log of the scale, initialised at 0 (LibMTL, TorchJD `IMTLL`)"],
        behaviour: StrategyBehaviour())

    public var ownParameters: Parameters

    public init(tasks: [TaskSpec]) {
        ownParameters = Parameters(tasks.map { ("logScale.\($0.name)", Tensor(shape: [1], scalars: [0])) })
    }

    public convenience init(options: Options, context: StrategyBuildContext) throws { self.init(tasks: context.tasks) }

    public func scalarisedLoss(_ losses: [String: Tensor], ownParameters: Parameters, context: StepContext) throws -> Tensor {
        context.taskNames.map { name in
            let s = ownParameters["logScale.\(name)"].reshaped([])
            return losses[name]! * exp(s) - s
        }.reduce(Tensor(0), +)
    }
}
