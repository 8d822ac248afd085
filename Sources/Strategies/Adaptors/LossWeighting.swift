import TandemCore

/// A strategy that trains heads and encoder with one differentiable scalar of the task losses,
/// D(L, s) (uncertainty weighting, log-losses, STCH): head t gets ∂D/∂L_t·∇L_t and the encoder
/// the same weights, so one backward pass suffices. Write `scalarisedLoss`; both stages follow.
public protocol LossScalarisation: GradientCombiner, DecoderStage, EncoderStage {
    func scalarisedLoss(_ losses: [String: Tensor], ownParameters: Parameters, context: StepContext) throws -> Tensor
}

extension LossScalarisation {
    public var decoder: any DecoderStage { self }
    public var encoder: any EncoderStage { self }

    public func decoderLoss(_ losses: [String: Tensor], ownParameters: Parameters, context: StepContext) throws -> Tensor {
        try scalarisedLoss(losses, ownParameters: ownParameters, context: context)
    }

    public func encoderGradient(_ context: StepContext) throws -> EncoderGradient { .lossWeights(context.decoderWeights) }
}

/// A strategy that weights the task losses, L = Σ_t w_t L_t, with weights from the losses and
/// its state (EW, DWA, GradNorm, RLW): write `lossWeights`; both stages use them.
public protocol LossWeighting: LossScalarisation {
    /// The weight w_t of each task of this step (constants, not differentiated).
    func lossWeights(_ context: StepContext) throws -> [String: Float]
}

extension LossWeighting {
    public func scalarisedLoss(_ losses: [String: Tensor], ownParameters: Parameters, context: StepContext) throws -> Tensor {
        let weights = try lossWeights(context)
        return try context.taskNames.map { name in
            guard let weight = weights[name] else {
                throw StrategyContractError(strategy: self.name, problem: "gave no weight for task '\(name)'")
            }
            return losses[name]! * weight
        }.reduce(Tensor(0), +)
    }
}
