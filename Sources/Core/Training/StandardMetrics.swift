/// The metrics each task kind is evaluated with (MTAN conventions, `Sources/Core/Metrics`):
/// segmentation mIoU and pixel accuracy; depth absolute/relative error; normals angle statistics;
/// classification accuracy; regression by its loss only.
public enum StandardMetrics {
    /// The version of the metric implementations (recorded in every result's provenance). Raise it
    /// whenever a change can alter a reported value, so results from before and after are told apart.
    public static let implementationVersion = 1

    public static func accumulator(for task: TaskSpec) -> (any TaskMetricAccumulator)? {
        accumulator(for: task, averaging: .pixels)
    }

    /// The accumulator of `task` with depth and normal errors reduced over a split as `averaging`
    /// says (segmentation's confusion matrix and classification accuracy pool the split either way,
    /// as the MTAN code does).
    public static func accumulator(for task: TaskSpec, averaging: MetricAveraging) -> (any TaskMetricAccumulator)? {
        switch task.kind {
        case let .segmentation(classes): return MetricBox(ConfusionMatrix(classCount: classes))
        case .classification: return MetricBox(ClassificationAccuracy())
        case .depth: return MetricBox(DepthError(averaging: averaging == .pixels ? .pixels : .batches))
        case .normals: return MetricBox(NormalError(averaging: averaging == .pixels ? .pixels : .batches))
        case .regression: return nil
        }
    }

    /// Whether each metric of `kind` is better high or low (`loss` is always lower-is-better).
    public static func directions(for kind: TaskKind) -> [String: MetricDirection] {
        var result: [String: MetricDirection] = ["loss": .lowerIsBetter]
        switch kind {
        case .segmentation: result.merge(ConfusionMatrix.directions) { $1 }
        case .classification: result.merge(ClassificationAccuracy.directions) { $1 }
        case .depth: result.merge(DepthError.directions) { $1 }
        case .normals: result.merge(NormalError.directions) { $1 }
        case .regression: break
        }
        return result
    }

    /// The metric model selection and tables lead with for each kind.
    public static func headline(for kind: TaskKind) -> String {
        switch kind {
        case .segmentation: return "mIoU"
        case .classification: return "accuracy"
        case .depth: return "absError"
        case .normals: return "angleMean"
        case .regression: return "loss"
        }
    }
}

/// How per-pixel errors reduce over an evaluation split: every valid pixel weighs the same
/// (`pixels`), or every batch does (`batches`: the mean of per-batch values, the MTAN / Nash-MTL /
/// FAMO trainers' convention; it depends on the evaluation batch size).
public enum MetricAveraging: String, Sendable, CaseIterable {
    case pixels, batches
}

/// Adapts a value-type `MetricAccumulator` to the trainer's accumulator protocol.
final class MetricBox<Metric: MetricAccumulator>: TaskMetricAccumulator {
    private var metric: Metric
    private(set) var problems: [String] = []

    init(_ metric: Metric) { self.metric = metric }

    func add(prediction: Tensor, target: Tensor) {
        do { try metric.update(prediction: prediction, target: target) } catch { problems.append("\(error)") }
    }

    func values() -> [String: Double] {
        precondition(problems.isEmpty, "metric inputs were inconsistent: \(problems.first!)")
        return metric.results
    }
}
