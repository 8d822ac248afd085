/// Which labels a training batch carries.
public enum BatchKind: String, Codable, Sendable {
    /// Every task labelled (ordinary multi-task training, or the Oracle setting).
    case full
    /// Only the auxiliary tasks labelled (TMT's X^A without the parallel subset's primary labels).
    case auxiliaryOnly
    /// From the parallel-labelled subset X: every task labelled.
    case parallel
}

/// Evaluation splits.
public enum EvaluationSplit: String, Codable, Sendable, CaseIterable {
    case validation, test
}

/// Where a trainer gets its batches. Sampling must be seeded and its state checkpointable, so a
/// resumed run draws exactly the batches an uninterrupted run would.
public protocol TrainingDataSource: AnyObject {
    /// Training steps in one epoch (for epoch-based bookkeeping such as DWA).
    var stepsPerEpoch: Int { get }
    func nextBatch(_ kind: BatchKind) -> Batch
    /// The batches of an evaluation split, in a fixed order.
    func evaluationBatches(_ split: EvaluationSplit) -> [Batch]
    func saveState() -> StrategyState
    func restoreState(_ state: StrategyState) throws
}

/// How training batches are drawn over the steps.
public enum LabelSchedule: Equatable, Codable, Sendable {
    /// Every batch has every label.
    case full
    /// The limited-parallel-label setting: auxiliary-only batches, and a parallel batch (all
    /// labels) at every k-th step (TMT paper's "MTL with k-alternation" baseline).
    case alternating(every: Int)

    /// The kind of batch drawn at `step` (0-based): steps k−1, 2k−1, … are parallel.
    public func kind(at step: Int) -> BatchKind {
        switch self {
        case .full: return .full
        case let .alternating(k): return (step + 1) % k == 0 ? .parallel : .auxiliaryOnly
        }
    }
}
