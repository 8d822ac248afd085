/// What a task predicts, which fixes its head's channels, its loss, its metrics and the value that
/// marks a label element as "no label here". The one task-kind vocabulary of every target: data
/// sets declare their tasks with it and the trainer, metrics and models read it.
public enum TaskKind: Equatable, Codable, Sendable {
    /// Per-pixel classes (N×C×H×W logits; labels N×H×W with −1 = ignore): cross-entropy.
    case segmentation(classes: Int)
    /// Per-pixel depth or disparity (N×1×H×W; 0 = missing, the MTAN convention): L1 over valid pixels.
    case depth
    /// Per-pixel unit normals (N×3×H×W; all-zero = missing): 1 − cosine over valid pixels.
    case normals
    /// One class per sample (N×C logits; labels N, −1 = ignore): cross-entropy.
    case classification(classes: Int)
    /// Real-valued targets (N×D): mean squared error over every element (no ignore value).
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

    /// The number of classes of a class-label kind (segmentation, classification), else nil.
    public var classCount: Int? {
        switch self {
        case let .segmentation(classes), let .classification(classes): return classes
        case .depth, .normals, .regression: return nil
        }
    }

    /// The label value that marks an element as unlabelled, which the masked losses and metrics
    /// skip: −1 for class labels, 0 for depth and normals (an all-zero normal). Nil for regression,
    /// whose loss averages every element, so a sample without its label cannot be masked.
    public var ignoreValue: Float? {
        switch self {
        case .segmentation, .classification: return -1
        case .depth, .normals: return 0
        case .regression: return nil
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
