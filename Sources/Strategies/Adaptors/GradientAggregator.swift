import TandemCore

/// A strategy that turns the task gradients at one level into one direction by its own rule
/// (PCGrad, GradVac, CAGrad, GCS, GradDrop): write `aggregate`. Heads get their own gradients
/// (weight 1); the rows it sees are the gradients of the decoder-weighted losses, so composed
/// with another decoder stage (UW, IAL) it acts on what that stage weighted.
public protocol GradientAggregator: GradientCombiner, DecoderStage, EncoderStage {
    var level: GradientLevel { get }
    /// The direction, as tensors shaped like one row of `gradients`.
    func aggregate(_ gradients: TaskGradients, context: StepContext) throws -> [Tensor]
}

extension GradientAggregator {
    public var decoder: any DecoderStage { self }
    public var encoder: any EncoderStage { self }
    public var requirements: CombinerRequirements { level.requirement }

    public func decoderLoss(_ losses: [String: Tensor], ownParameters: Parameters, context: StepContext) throws -> Tensor {
        context.taskNames.map { losses[$0]! }.reduce(Tensor(0), +)
    }

    public func encoderGradient(_ context: StepContext) throws -> EncoderGradient {
        let gradients = try level.gradients(context, rowWeights: context.decoderWeights)
        let direction = try aggregate(gradients, context: context)
        guard direction.count == gradients.tensorNames.count,
              zip(direction, gradients.rows[0]).allSatisfy({ $0.shape == $1.shape }) else {
            throw StrategyContractError(strategy: name, problem: "aggregated into \(direction.count) tensors not shaped like the task gradients")
        }
        return level.encoderGradient(direction, like: gradients)
    }
}
