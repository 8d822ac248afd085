import TandemCore

/// An encoder stage that wraps another strategy (`it`, the transference probe): its decoder is the
/// inner strategy's decoder, so the trainer already saves, notifies and steps that object; the
/// wrapper forwards state, hooks and meta-parameters to the inner *encoder* stage only when it is
/// a separate object (otherwise they would be handled twice).
public protocol WrappingEncoderStage: EncoderStage {
    var inner: any GradientCombiner { get }
}

extension WrappingEncoderStage {
    var innerStagesAreOneObject: Bool { (inner.encoder as AnyObject) === (inner.decoder as AnyObject) }

    public func saveState() -> StrategyState { innerStagesAreOneObject ? StrategyState() : inner.encoder.saveState() }
    public func restoreState(_ state: StrategyState) throws {
        if !innerStagesAreOneObject { try inner.encoder.restoreState(state) }
    }
    public func epochEnded(meanLosses: [String: Float]) {
        if !innerStagesAreOneObject { inner.encoder.epochEnded(meanLosses: meanLosses) }
    }
    public func stepFinished(_ context: StepContext) throws {
        if !innerStagesAreOneObject { try inner.encoder.stepFinished(context) }
    }
    public var metaParameters: Parameters {
        get { innerStagesAreOneObject ? Parameters() : inner.encoder.metaParameters }
        set { if !innerStagesAreOneObject { inner.encoder.metaParameters = newValue } }
    }
}
