/// What a strategy needs the trainer to compute. The trainer computes only what the strategy
/// asks for through the `StepContext` (per-task gradients are produced lazily on first request);
/// these declarations document the cost up front and let the trainer plan (e.g. load a second
/// batch, keep the loss history).
public struct CombinerRequirements: OptionSet, Sendable, CustomStringConvertible {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    /// Task losses only (weighting methods): one backward pass.
    public static let losses = CombinerRequirements([])
    /// Per-task gradients at the representation z (T head backwards + one encoder backward).
    public static let representationGradients = CombinerRequirements(rawValue: 1 << 0)
    /// Per-task gradients at the shared parameters (T encoder backwards).
    public static let sharedParameterGradients = CombinerRequirements(rawValue: 1 << 1)
    /// Mean task losses of each finished epoch.
    public static let epochLossHistory = CombinerRequirements(rawValue: 1 << 2)
    /// Extra forward passes at other parameters (lookaheads).
    public static let extraForwardPasses = CombinerRequirements(rawValue: 1 << 3)
    /// A second, independently drawn batch.
    public static let secondBatch = CombinerRequirements(rawValue: 1 << 4)
    /// Periodic meta steps on the parallel-labelled set.
    public static let parallelMetaSteps = CombinerRequirements(rawValue: 1 << 5)
    /// Gradients of gradients.
    public static let secondOrderGradients = CombinerRequirements(rawValue: 1 << 6)

    public var description: String {
        let names: [(CombinerRequirements, String)] = [
            (.representationGradients, "per-task gradients at z"), (.sharedParameterGradients, "per-task gradients at θ_s"),
            (.epochLossHistory, "epoch loss history"), (.extraForwardPasses, "extra forward passes"),
            (.secondBatch, "a second batch"), (.parallelMetaSteps, "meta steps on the parallel set"),
            (.secondOrderGradients, "second-order gradients"),
        ]
        let present = names.filter { contains($0.0) }.map(\.1)
        return present.isEmpty ? "losses only" : present.joined(separator: ", ")
    }
}

/// The gradient the shared encoder receives, as the encoder stage chooses to express it.
public enum EncoderGradient {
    /// Backpropagate Σ_t w_t L_t through the encoder (weighting methods).
    case lossWeights([String: Float])
    /// This gradient at the representation z, backpropagated once through the encoder.
    case representation(Tensor)
    /// This gradient for the shared parameters directly.
    case sharedParameters(Parameters)
}

/// The decoder stage of a strategy: the loss that trains each task head and the strategy's own
/// parameters (e.g. the log-variances of uncertainty weighting). It must be a function of the
/// task losses (and the strategy's parameters) only; head t then receives (∂D/∂L_t)·∇_{θ_t} L_t.
/// What every strategy stage can have: state to checkpoint, and an end-of-epoch hook.
public protocol StrategyStage: AnyObject {
    /// State to checkpoint besides trainable parameters (loss history, counters, RNG…).
    func saveState() -> StrategyState
    func restoreState(_ state: StrategyState) throws
    /// Called when an epoch ends, with each task's mean training loss over it.
    func epochEnded(meanLosses: [String: Float])
}

extension StrategyStage {
    public func saveState() -> StrategyState { StrategyState() }
    public func restoreState(_ state: StrategyState) throws {}
    public func epochEnded(meanLosses: [String: Float]) {}
}

public protocol DecoderStage: StrategyStage {
    /// The strategy's own trainable parameters (may be empty), trained with the decoder loss.
    var ownParameters: Parameters { get set }
    /// The decoder loss D(L, own). `losses` and `ownParameters` are tracked; D must be differentiable in both.
    func decoderLoss(_ losses: [String: Tensor], ownParameters: Parameters, context: StepContext) -> Tensor
}

/// The encoder stage of a strategy: how per-task gradients at the shared level become the one
/// gradient the encoder receives.
public protocol EncoderStage: StrategyStage {
    var requirements: CombinerRequirements { get }
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
    public var requirements: CombinerRequirements { encoder.requirements }

    var stagesAreOneObject: Bool { (encoder as AnyObject) === (decoder as AnyObject) }

    /// Both stages' state, under `decoder.` and `encoder.` prefixes (once when one object is both).
    public func saveStrategyState() -> StrategyState {
        StrategyState.merging(decoder: decoder.saveState(), encoder: stagesAreOneObject ? StrategyState() : encoder.saveState())
    }

    public func restoreStrategyState(_ state: StrategyState) throws {
        let (decoderState, encoderState) = state.splitStages()
        try decoder.restoreState(decoderState)
        if !stagesAreOneObject { try encoder.restoreState(encoderState) }
    }

    /// Tells both stages (once when one object is both) that an epoch ended.
    public func notifyEpochEnded(meanLosses: [String: Float]) {
        decoder.epochEnded(meanLosses: meanLosses)
        if !stagesAreOneObject { encoder.epochEnded(meanLosses: meanLosses) }
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
