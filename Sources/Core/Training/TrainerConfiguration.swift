import Foundation

/// How a training run is driven.
public struct TrainerConfiguration {
    /// Total training steps.
    public var steps: Int
    /// Which labels each step's batch carries (full, or TMT's k-alternation).
    public var labelSchedule: LabelSchedule
    /// Evaluate on validation and test every this many steps (and after the last step); nil: only at the end.
    public var evaluateEvery: Int?
    /// How the reported result is chosen from the evaluations.
    public var selection: ModelSelection
    /// The validation quantity model selection minimises.
    public var selectionCriterion: SelectionCriterion
    /// Batch-norm running-statistics momentum (PyTorch convention).
    public var batchNormMomentum: Float
    /// Where per-step records go as JSON lines (nil: not written).
    public var recordsURL: URL?
    /// Tasks whose heads never step (they still pass gradients to the encoder).
    public var frozenHeads: Set<String>
    /// Early stopping: the run ends once this many evaluations in a row have not lowered the best
    /// validation error (nil: it runs to `steps`). Decided from the evaluation history alone, so a
    /// resumed run stops where the uninterrupted one did.
    public var patience: Int?
    /// How each training batch splits into micro-batches (`budget.micro_batches`; `.none`: one).
    public var microBatches: MicroBatches

    public init(steps: Int, labelSchedule: LabelSchedule = .full, evaluateEvery: Int? = nil,
                selection: ModelSelection = .last, selectionCriterion: SelectionCriterion = .primaryLoss,
                batchNormMomentum: Float = 0.1, recordsURL: URL? = nil, frozenHeads: Set<String> = [], patience: Int? = nil,
                microBatches: MicroBatches = .none) {
        self.steps = steps
        self.labelSchedule = labelSchedule
        self.evaluateEvery = evaluateEvery
        self.selection = selection
        self.selectionCriterion = selectionCriterion
        self.batchNormMomentum = batchNormMomentum
        self.recordsURL = recordsURL
        self.frozenHeads = frozenHeads
        self.patience = patience
        self.microBatches = microBatches
    }
}

/// The validation error that model selection minimises.
public enum SelectionCriterion: Equatable, Codable, Sendable {
    /// The mean validation loss of the primary tasks.
    case primaryLoss
    /// A metric of a task; `higherIsBetter` metrics are negated so lower is always better.
    case metric(task: String, name: String, higherIsBetter: Bool)

    func error(from validation: [String: [String: Double]], primaryTasks: [String]) -> Double {
        switch self {
        case .primaryLoss:
            let losses = primaryTasks.compactMap { validation[$0]?["loss"] }
            return losses.isEmpty ? .infinity : losses.reduce(0, +) / Double(losses.count)
        case let .metric(task, name, higherIsBetter):
            guard let value = validation[task]?[name] else { return .infinity }
            return higherIsBetter ? -value : value
        }
    }
}

/// A training step or evaluation produced a NaN or an infinity.
public struct NonFiniteValueError: Error, CustomStringConvertible, Equatable {
    public var step: Int
    public var task: String?
    public var quantity: String

    public var description: String {
        "step \(step): \(quantity)\(task.map { " of task '\($0)'" } ?? "") is not finite (NaN or infinity); stopping the run"
    }
}
