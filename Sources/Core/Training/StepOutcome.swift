/// Everything one training step produced: its record, the decoder loss, and the gradients each
/// parameter group received (what `GradientCombinationProblem` reports as the combined direction).
public struct StepOutcome {
    public var record: StepRecord
    /// The decoder loss D.
    public var decoderLoss: Float
    /// The gradient the shared parameters received.
    public var sharedGradients: Parameters
    /// The gradients the heads received (tasks absent from the batch have none).
    public var headGradients: Parameters
    /// Gradients of the strategy's own parameters from the decoder loss.
    public var ownParameterGradients: Parameters
}

/// A task's training loss from its head's prediction and its target.
public typealias TaskLoss = (_ task: TaskSpec, _ prediction: Tensor, _ target: Tensor) -> Tensor

/// A training run cannot go on, said plainly.
public struct TrainingError: Error, CustomStringConvertible, Equatable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
