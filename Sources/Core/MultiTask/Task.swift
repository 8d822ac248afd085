/// Whether a task is what the experiment is for (primary) or there to help (auxiliary).
public enum TaskRole: String, Codable, Sendable, CaseIterable {
    case primary, auxiliary
}

/// What a task predicts, which fixes its loss and metrics.
public enum TaskKind: Equatable, Codable, Sendable {
    /// Per-pixel classes (N×C×H×W logits; labels N×H×W with −1 = ignore): cross-entropy.
    case segmentation(classes: Int)
    /// Per-pixel depth (N×1×H×W; 0 = missing): L1 over valid pixels.
    case depth
    /// Per-pixel unit normals (N×3×H×W; all-zero = missing): 1 − cosine over valid pixels.
    case normals
    /// One class per sample (N×C logits; labels N, −1 = ignore): cross-entropy.
    case classification(classes: Int)
    /// Real-valued targets (N×D): mean squared error.
    case regression(outputs: Int)

    /// Channels (or outputs) the task's head must produce.
    public var outputChannels: Int {
        switch self {
        case let .segmentation(classes), let .classification(classes): return classes
        case .depth: return 1
        case .normals: return 3
        case let .regression(outputs): return outputs
        }
    }

    /// The task's training loss of `prediction` against `target` (a scalar tensor).
    public func loss(prediction: Tensor, target: Tensor) -> Tensor {
        switch self {
        case .segmentation, .classification:
            return crossEntropy(logits: prediction, labels: target, ignoreIndex: -1)
        case .depth:
            return maskedL1(prediction: prediction, target: target, mask: nonZeroMask(target))
        case .normals:
            return cosineLoss(prediction: prediction, target: target, mask: nonZeroMask(target))
        case .regression:
            let difference = prediction - target
            return (difference * difference).mean()
        }
    }
}

/// One task of an experiment.
public struct TaskSpec: Equatable, Codable, Sendable {
    public var name: String
    public var kind: TaskKind
    public var role: TaskRole

    public init(name: String, kind: TaskKind, role: TaskRole = .primary) {
        self.name = name
        self.kind = kind
        self.role = role
    }
}

/// A mini-batch: the input and, for the tasks that are labelled in it, their targets.
/// TMT's auxiliary-only batches simply carry no target for the primary task.
public struct Batch {
    public var input: Tensor
    public var targets: [String: Tensor]

    public init(input: Tensor, targets: [String: Tensor]) {
        self.input = input
        self.targets = targets
    }

    public func hasLabels(for task: String) -> Bool { targets[task] != nil }
}
