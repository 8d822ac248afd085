/// What every strategy stage can have: declared needs, state to checkpoint, meta-parameters it
/// trains itself, an end-of-epoch hook and a post-step hook.
public protocol StrategyStage: AnyObject {
    /// What this stage asks the step context for (enforced: asking for more is an error).
    var requirements: CombinerRequirements { get }
    /// Strategy-owned meta-parameters (GradNorm's w, Auto-λ's λ, TMT's φ, FAMO's ξ): trained with
    /// gradients the stage computes itself, stepped by the recipe's `strategy_optimizer` group via
    /// `StepContext.stepMetaParameters(_:gradients:)`, saved in checkpoints.
    var metaParameters: Parameters { get set }
    /// State to checkpoint besides parameters (loss history, counters, RNG…).
    func saveState() -> StrategyState
    func restoreState(_ state: StrategyState) throws
    /// Called when an epoch ends, with each task's mean training loss over it.
    func epochEnded(meanLosses: [String: Float])
    /// Called after the optimisers stepped (FAMO reads `context.lossesAfterUpdate()` here).
    func stepFinished(_ context: StepContext) throws
}

extension StrategyStage {
    public var requirements: CombinerRequirements { .losses }
    public var metaParameters: Parameters {
        get { Parameters() }
        set { precondition(newValue.isEmpty, "\(type(of: self)) has no meta-parameters; declare a stored `metaParameters`") }
    }
    public func saveState() -> StrategyState { StrategyState() }
    public func restoreState(_ state: StrategyState) throws {}
    public func epochEnded(meanLosses: [String: Float]) {}
    public func stepFinished(_ context: StepContext) throws {}
}

/// The decoder stage of a strategy: the loss that trains each task head and the strategy's own
/// parameters (e.g. the log-variances of uncertainty weighting). It must be a function of the
/// task losses (and the strategy's parameters) only; head t then receives (∂D/∂L_t)·∇_{θ_t} L_t.
public protocol DecoderStage: StrategyStage {
    /// The strategy's own parameters trained through the decoder loss (may be empty).
    var ownParameters: Parameters { get set }
    /// The decoder loss D(L, own). `losses` and `ownParameters` are tracked; D must be differentiable in both.
    func decoderLoss(_ losses: [String: Tensor], ownParameters: Parameters, context: StepContext) throws -> Tensor
}

extension DecoderStage {
    public var ownParameters: Parameters {
        get { Parameters() }
        set { precondition(newValue.isEmpty, "\(type(of: self)) has no own parameters; declare a stored `ownParameters`") }
    }
}

/// The encoder stage of a strategy: how per-task gradients at the shared level become the one
/// gradient the encoder receives.
public protocol EncoderStage: StrategyStage {
    func encoderGradient(_ context: StepContext) throws -> EncoderGradient
}

/// A complete strategy: a decoder stage and an encoder stage. Most strategies implement both in
/// one class; `Combination` pairs any decoder stage with any encoder stage (IAL's impartial
/// decoder with PCGrad's encoder, IT on top of UW, …).
public protocol GradientCombiner: AnyObject {
    /// The registry name (`"pcgrad"`, `"uw"`, …).
    var name: String { get }
    var decoder: any DecoderStage { get }
    var encoder: any EncoderStage { get }
}

extension GradientCombiner {
    /// What both stages ask for.
    public var declaredRequirements: CombinerRequirements { decoder.requirements.union(encoder.requirements) }

    var stagesAreOneObject: Bool { (encoder as AnyObject) === (decoder as AnyObject) }

    /// The stages, each once.
    var stages: [any StrategyStage] { stagesAreOneObject ? [decoder] : [decoder, encoder] }

    /// Both stages' state and meta-parameters, under `decoder.` and `encoder.` prefixes (once
    /// when one object is both).
    public func saveStrategyState() -> StrategyState {
        func withMeta(_ stage: any StrategyStage) -> StrategyState {
            var state = stage.saveState()
            state.storeMetaParameters(stage.metaParameters)
            return state
        }
        return StrategyState.merging(decoder: withMeta(decoder), encoder: stagesAreOneObject ? StrategyState() : withMeta(encoder))
    }

    public func restoreStrategyState(_ state: StrategyState) throws {
        let (decoderState, encoderState) = state.splitStages()
        for (stage, part) in stagesAreOneObject ? [(decoder as any StrategyStage, decoderState)] : [(decoder, decoderState), (encoder, encoderState)] {
            try stage.restoreState(part)
            if !stage.metaParameters.isEmpty { stage.metaParameters = try part.metaParameters(like: stage.metaParameters) }
        }
    }

    /// Tells both stages (once when one object is both) that an epoch ended.
    public func notifyEpochEnded(meanLosses: [String: Float]) {
        for stage in stages { stage.epochEnded(meanLosses: meanLosses) }
    }

    /// Runs both stages' post-step hooks (once when one object is both).
    func notifyStepFinished(_ context: StepContext) throws {
        for stage in stages { try stage.stepFinished(context) }
    }
}

/// Any decoder stage paired with any encoder stage.
public final class Combination: GradientCombiner {
    public let name: String
    public let decoder: any DecoderStage
    public let encoder: any EncoderStage

    public init(name: String, decoder: any DecoderStage, encoder: any EncoderStage) {
        self.name = name
        self.decoder = decoder
        self.encoder = encoder
    }
}
