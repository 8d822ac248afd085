/// What a forward pass reads: the parameters to run at, the buffers (batch-norm running
/// statistics), whether it is training, and where batch statistics go.
///
/// Batch-norm running statistics are written only through an explicit `statistics` sink: a
/// lookahead or meta forward pass simply passes none, so it never touches them.
public struct ForwardContext {
    public var parameters: Parameters
    public var buffers: Parameters
    public var isTraining: Bool
    public var statistics: BatchNormStatisticsSink?
    /// Where training is, for layers whose training-mode forward pass depends on it (LTB's branch
    /// sampling); nil outside a trainer's step.
    public var progress: TrainingProgress?

    public init(parameters: Parameters, buffers: Parameters = Parameters(), isTraining: Bool,
                statistics: BatchNormStatisticsSink? = nil, progress: TrainingProgress? = nil) {
        self.parameters = parameters
        self.buffers = buffers
        self.isTraining = isTraining
        self.statistics = statistics
        self.progress = progress
    }

    /// The same context at other parameters (a lookahead Θ′) and without a statistics sink, so the
    /// extra pass can never reach the batch-norm running statistics.
    public func with(parameters: Parameters) -> ForwardContext {
        var copy = self
        copy.parameters = parameters
        copy.statistics = nil
        return copy
    }
}

/// The epoch of a training step, the run's length in epochs, and the seed of the step's random
/// draws: the same for every forward pass of one step (lookahead passes included), derived from the
/// run's seed and the step, so a resumed run draws the same numbers.
public struct TrainingProgress: Equatable, Sendable {
    public var epoch: Int
    public var epochs: Int
    public var seed: UInt64

    public init(epoch: Int, epochs: Int, seed: UInt64) {
        self.epoch = epoch
        self.epochs = epochs
        self.seed = seed
    }
}

/// Collects the batch statistics of training-mode batch-norm layers during one forward pass and
/// folds them into running averages on request (PyTorch convention: unbiased variance, momentum).
/// A layer applied more than once in the pass (SegNet-MTAN's attention blocks, once per task) is
/// folded once per application, in call order, as PyTorch's running averages are.
public final class BatchNormStatisticsSink {
    /// Each layer's statistics from its latest application.
    public private(set) var batchStatistics: [String: (mean: Tensor, variance: Tensor, count: Int)] = [:]
    /// Every application, in call order.
    private var applications: [(layer: String, mean: Tensor, variance: Tensor, count: Int)] = []

    /// Every application's statistics, in call order.
    var applicationsInOrder: [(layer: String, mean: Tensor, variance: Tensor, count: Int)] { applications }

    public init() {}

    func record(layer: String, mean: Tensor, variance: Tensor, count: Int) {
        batchStatistics[layer] = (mean, variance, count)
        applications.append((layer, mean, variance, count))
    }

    /// `buffers` with every recorded layer's running mean/variance moved towards the batch's, once
    /// per application: running ← (1 − momentum)·running + momentum·batch.
    public func updatedBuffers(_ buffers: Parameters, momentum: Float = 0.1) -> Parameters {
        var result = buffers
        Tape.withoutRecording {
            for stats in applications {
                let layer = stats.layer
                let unbiased = stats.variance * (Float(stats.count) / Float(max(stats.count - 1, 1)))
                result["\(layer).runningMean"] = result["\(layer).runningMean"] * (1 - momentum) + stats.mean * momentum
                result["\(layer).runningVariance"] = result["\(layer).runningVariance"] * (1 - momentum) + unbiased * momentum
            }
        }
        return result
    }
}
