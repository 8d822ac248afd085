/// One evaluation during training: the validation error used for selection and every metric.
///
/// A validation error that could not be computed (the criterion's metric had no valid label in the
/// split) is `.infinity` in memory and `null` — undefined — in JSON, so writing a result never
/// fails over it and the trained run is never lost.
public struct EvaluationPoint: Codable, Equatable, Sendable {
    public var step: Int
    /// Lower is better (e.g. 1 − mIoU, depth error, or the primary loss); `.infinity` when undefined.
    public var validationError: Double
    /// split → task → metric → value.
    public var metrics: [String: [String: [String: Double]]]

    public init(step: Int, validationError: Double, metrics: [String: [String: [String: Double]]]) {
        self.step = step
        self.validationError = validationError
        self.metrics = metrics
    }

    enum CodingKeys: String, CodingKey { case step, validationError, metrics }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        step = try container.decode(Int.self, forKey: .step)
        validationError = try container.decodeIfPresent(Double.self, forKey: .validationError) ?? .infinity
        metrics = try container.decode([String: [String: [String: Double]]].self, forKey: .metrics)
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(step, forKey: .step)
        if validationError.isFinite { try container.encode(validationError, forKey: .validationError) }
        else { try container.encodeNil(forKey: .validationError) }
        try container.encode(metrics, forKey: .metrics)
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
