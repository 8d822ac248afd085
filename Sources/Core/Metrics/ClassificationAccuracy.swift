/// Classification accuracy: correct predictions over labelled examples (targets < 0 are ignored).
/// The prediction is the arg-max of the scores (first maximum on ties). Result: `accuracy` in 0…1.
public struct ClassificationAccuracy: MetricAccumulator, Equatable, Sendable {
    public private(set) var correct = 0
    public private(set) var total = 0

    public init() {}

    public static let directions: [String: MetricDirection] = ["accuracy": .higherIsBetter]

    public mutating func reset() { self = ClassificationAccuracy() }

    /// Adds predicted and target labels (targets < 0 ignored).
    public mutating func update(predictedLabels: [Int], targets: [Int]) throws {
        guard predictedLabels.count == targets.count else {
            throw MetricError("ClassificationAccuracy: \(predictedLabels.count) predictions for \(targets.count) targets")
        }
        for (p, t) in zip(predictedLabels, targets) where t >= 0 {
            total += 1
            if p == t { correct += 1 }
        }
    }

    /// Adds scores `[N, C]` against labels `[N]` stored as Float (−1 = ignore).
    public mutating func update(scores: [Float], shape: [Int], targets: [Float]) throws {
        guard shape.count == 2, scores.count == shape[0] * shape[1], targets.count == shape[0], shape[1] > 0 else {
            throw MetricError("ClassificationAccuracy: scores must be [N, C] with N = \(targets.count) targets, got \(shape)")
        }
        let classes = shape[1]
        let predicted = (0..<shape[0]).map { row -> Int in
            var best = 0
            for c in 1..<classes where scores[row * classes + c] > scores[row * classes + best] { best = c }
            return best
        }
        try update(predictedLabels: predicted, targets: targets.map { Int($0) })
    }

    public mutating func update(prediction: Tensor, target: Tensor) throws {
        try update(scores: prediction.scalars, shape: prediction.shape, targets: target.scalars)
    }

    public var accuracy: Double { total > 0 ? Double(correct) / Double(total) : 0 }

    /// Empty when no example was labelled: the accuracy is undefined.
    public var results: [String: Double] { total > 0 ? ["accuracy": accuracy] : [:] }
}
