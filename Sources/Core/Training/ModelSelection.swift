/// One evaluation during training: the validation error used for selection and every metric.
public struct EvaluationPoint: Codable, Equatable, Sendable {
    public var step: Int
    /// Lower is better (e.g. 1 − mIoU, depth error, or the primary loss).
    public var validationError: Double
    /// split → task → metric → value.
    public var metrics: [String: [String: [String: Double]]]

    public init(step: Int, validationError: Double, metrics: [String: [String: [String: Double]]]) {
        self.step = step
        self.validationError = validationError
        self.metrics = metrics
    }
}

/// How the reported result is chosen from the evaluations made during training.
public enum ModelSelection: Equatable, Codable, Sendable {
    /// The last evaluation.
    case last
    /// The evaluation with the lowest validation error.
    case best
    /// TMT paper: the `window` consecutive evaluations with the lowest mean validation error;
    /// their metrics are averaged.
    case consecutiveWindow(Int)

    /// The chosen evaluations (indices into `history`); the report averages their metrics.
    public func select(from history: [EvaluationPoint]) -> [Int] {
        guard !history.isEmpty else { return [] }
        switch self {
        case .last:
            return [history.count - 1]
        case .best:
            return [history.indices.min { history[$0].validationError < history[$1].validationError }!]
        case let .consecutiveWindow(size):
            let window = min(size, history.count)
            var bestStart = 0, bestMean = Double.infinity
            for start in 0...(history.count - window) {
                let mean = history[start..<(start + window)].reduce(0) { $0 + $1.validationError } / Double(window)
                if mean < bestMean { bestMean = mean; bestStart = start }
            }
            return Array(bestStart..<(bestStart + window))
        }
    }

    /// The mean of every metric over the selected evaluations.
    public func selectedMetrics(from history: [EvaluationPoint]) -> [String: [String: [String: Double]]] {
        let chosen = select(from: history).map { history[$0] }
        guard let first = chosen.first else { return [:] }
        var result = first.metrics
        for (split, tasks) in first.metrics {
            for (task, metrics) in tasks {
                for (metric, _) in metrics {
                    let values = chosen.compactMap { $0.metrics[split]?[task]?[metric] }
                    result[split]![task]![metric] = values.reduce(0, +) / Double(values.count)
                }
            }
        }
        return result
    }
}
