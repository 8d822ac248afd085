/// A confusion matrix accumulated over a whole split, giving mIoU and pixel accuracy (the
/// definitions of the MTAN / Auto-λ `ConfMatrix`, which follow torchvision's segmentation reference).
///
/// `counts[t][p]` counts elements with target class t predicted as p; targets outside 0..<classCount
/// (−1 = ignore) are skipped. Then
///
/// * pixel accuracy = Σ_c counts[c][c] / Σ counts,
/// * IoU_c = counts[c][c] / (Σ_p counts[c][p] + Σ_t counts[t][c] − counts[c][c]),
/// * mIoU = the mean of IoU_c over the classes whose union is non-zero.
///
/// MTAN takes `torch.mean` over all classes, which is NaN when a class never occurs in targets or
/// predictions; over a real split every class occurs and the two agree. Results: `mIoU`,
/// `pixelAccuracy` (fractions in 0…1).
public struct ConfusionMatrix: MetricAccumulator, Equatable, Sendable {
    public let classCount: Int
    /// Row-major `classCount × classCount` counts (row = target, column = prediction).
    public private(set) var counts: [Int]

    public init(classCount: Int) {
        precondition(classCount > 0, "ConfusionMatrix needs at least one class")
        self.classCount = classCount
        self.counts = [Int](repeating: 0, count: classCount * classCount)
    }

    public static let directions: [String: MetricDirection] = ["mIoU": .higherIsBetter, "pixelAccuracy": .higherIsBetter]

    public mutating func reset() { counts = [Int](repeating: 0, count: classCount * classCount) }

    /// The count of elements with target `target` predicted as `prediction`.
    public func count(target: Int, prediction: Int) -> Int { counts[target * classCount + prediction] }

    /// Adds predicted and target class labels (same count; targets outside 0..<classCount are ignored,
    /// predictions must be in 0..<classCount).
    public mutating func update(predictedLabels: [Int32], targets: [Int32]) throws {
        guard predictedLabels.count == targets.count else {
            throw MetricError("ConfusionMatrix: \(predictedLabels.count) predictions for \(targets.count) targets")
        }
        for (p, t) in zip(predictedLabels, targets) where t >= 0 && Int(t) < classCount {
            guard p >= 0 && Int(p) < classCount else {
                throw MetricError("ConfusionMatrix: predicted class \(p) outside 0..<\(classCount)")
            }
            counts[Int(t) * classCount + Int(p)] += 1
        }
    }

    /// Adds a batch of scores `[N, C, …]` (the prediction is the arg-max over C, first maximum on
    /// ties) against labels `[N, …]` stored as Float (−1 = ignore).
    public mutating func update(scores: [Float], shape: [Int], targets: [Float]) throws {
        guard shape.count >= 2, shape[1] == classCount else {
            throw MetricError("ConfusionMatrix: scores must be [N, \(classCount), …], got \(shape)")
        }
        let n = shape[0], spatial = shape.dropFirst(2).reduce(1, *)
        guard targets.count == n * spatial, scores.count == n * classCount * spatial else {
            throw MetricError("ConfusionMatrix: \(targets.count) targets for scores of shape \(shape)")
        }
        scores.withUnsafeBufferPointer { s in
            for b in 0..<n {
                for i in 0..<spatial {
                    let target = targets[b * spatial + i]
                    guard target >= 0 && target < Float(classCount) else { continue }
                    let base = b * classCount * spatial + i
                    var best = 0
                    var bestScore = s[base]
                    for c in 1..<classCount where s[base + c * spatial] > bestScore {
                        best = c
                        bestScore = s[base + c * spatial]
                    }
                    counts[Int(target) * classCount + best] += 1
                }
            }
        }
    }

    /// Adds a batch: `prediction` holds scores/logits `[N, C, …]`, `target` labels `[N, …]`.
    public mutating func update(prediction: Tensor, target: Tensor) throws {
        try update(scores: prediction.scalars, shape: prediction.shape, targets: target.scalars)
    }

    /// IoU of each class (nil where the class has no target or predicted element).
    public var intersectionOverUnion: [Double?] {
        (0..<classCount).map { c in
            let diagonal = counts[c * classCount + c]
            let row = (0..<classCount).reduce(0) { $0 + counts[c * classCount + $1] }
            let column = (0..<classCount).reduce(0) { $0 + counts[$1 * classCount + c] }
            let union = row + column - diagonal
            return union > 0 ? Double(diagonal) / Double(union) : nil
        }
    }

    /// Mean IoU over the classes with a non-zero union (0 before any update).
    public var meanIntersectionOverUnion: Double {
        let values = intersectionOverUnion.compactMap { $0 }
        return values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count)
    }

    /// Correctly classified elements over all counted elements (0 before any update).
    public var pixelAccuracy: Double {
        let total = counts.reduce(0, +)
        let diagonal = (0..<classCount).reduce(0) { $0 + counts[$1 * classCount + $1] }
        return total > 0 ? Double(diagonal) / Double(total) : 0
    }

    /// Empty when no element had a target class (every label ignored): the scores are undefined.
    public var results: [String: Double] {
        guard counts.contains(where: { $0 > 0 }) else { return [:] }
        return ["mIoU": meanIntersectionOverUnion, "pixelAccuracy": pixelAccuracy]
    }
}
