import Foundation

/// Surface-normal angle errors over valid pixels (target not all-zero), as MTAN's `normal_error`:
/// the angle θ = acos(clamp(p̂·t, −1, 1)) in degrees per pixel, then
///
/// * `angleMean` = mean θ, `angleMedian` = median θ (NumPy's: the mean of the two middle values
///   for an even count),
/// * `within11.25`, `within22.5`, `within30` = fraction of pixels with θ **<** 11.25°, 22.5°, 30°.
///
/// Predictions are normalised to unit length first (MTAN's heads output unit vectors, so this
/// changes nothing there but keeps the angle meaningful for raw outputs); a zero prediction counts
/// as 90°. Validity: MTAN masks pixels whose target components *sum* to 0; Tandem uses "all three
/// components are 0", the documented invalid marker (they differ only for valid normals whose
/// components happen to sum to exactly 0).
///
/// `averaging`: `.pixels` (default) pools all valid pixels of the split; the median is exact for up
/// to `exactMedianLimit` pixels and otherwise read from a 0.001° histogram (error ≤ 0.0005°).
/// `.batches` averages each batch's (exact) statistics with equal weight per batch, as the MTAN /
/// Auto-λ trainers print them.
public struct NormalError: MetricAccumulator, Equatable, Sendable {
    public enum Averaging: String, Sendable, Codable { case pixels, batches }

    public static let thresholds: [Double] = [11.25, 22.5, 30]
    /// Pixels whose angles are kept for an exact median.
    public static let exactMedianLimit = 16_000_000
    static let binsPerDegree = 1000.0

    public let averaging: Averaging
    private var angleSum = 0.0
    private var count = 0
    private var withinCounts = [0, 0, 0]
    private var angles: [Float] = []
    private var keepsAngles = true
    private var histogram: [Int32] = []
    private var batchSums = [0.0, 0.0, 0.0, 0.0, 0.0]  // mean, median, within ×3
    private var batchCount = 0

    public init(averaging: Averaging = .pixels) { self.averaging = averaging }

    public static let directions: [String: MetricDirection] = [
        "angleMean": .lowerIsBetter, "angleMedian": .lowerIsBetter,
        "within11.25": .higherIsBetter, "within22.5": .higherIsBetter, "within30": .higherIsBetter,
    ]

    public mutating func reset() { self = NormalError(averaging: averaging) }

    /// Adds one batch of normals `[N, 3, …]` (predictions and targets of the same shape).
    public mutating func update(predictions: [Float], targets: [Float], shape: [Int]) throws {
        guard shape.count >= 2, shape[1] == 3 else { throw MetricError("NormalError: normals must be [N, 3, …], got \(shape)") }
        guard predictions.count == targets.count, targets.count == shape.reduce(1, *) else {
            throw MetricError("NormalError: \(predictions.count) predictions and \(targets.count) targets for shape \(shape)")
        }
        let n = shape[0], spatial = shape.dropFirst(2).reduce(1, *)
        var batchAngles: [Double] = []
        for b in 0..<n {
            for i in 0..<spatial {
                let base = b * 3 * spatial + i
                let t = (Double(targets[base]), Double(targets[base + spatial]), Double(targets[base + 2 * spatial]))
                guard t != (0, 0, 0) else { continue }
                let p = (Double(predictions[base]), Double(predictions[base + spatial]), Double(predictions[base + 2 * spatial]))
                let length = (p.0 * p.0 + p.1 * p.1 + p.2 * p.2).squareRoot()
                let cosine = length > 0 ? (p.0 * t.0 + p.1 * t.1 + p.2 * t.2) / length : 0
                batchAngles.append(acos(min(max(cosine, -1), 1)) * 180 / Double.pi)
            }
        }
        add(batchAngles)
    }

    public mutating func update(prediction: Tensor, target: Tensor) throws {
        guard prediction.shape == target.shape else {
            throw MetricError("NormalError: prediction shape \(prediction.shape) differs from target shape \(target.shape)")
        }
        try update(predictions: prediction.scalars, targets: target.scalars, shape: target.shape)
    }

    /// Adds angles (degrees) of valid pixels directly.
    public mutating func add(_ batchAngles: [Double]) {
        guard !batchAngles.isEmpty else { return }
        if histogram.isEmpty { histogram = [Int32](repeating: 0, count: Int(180 * Self.binsPerDegree) + 1) }
        var within = [0, 0, 0]
        var sum = 0.0
        for angle in batchAngles {
            sum += angle
            for (k, threshold) in Self.thresholds.enumerated() where angle < threshold { within[k] += 1 }
            histogram[min(Int(angle * Self.binsPerDegree), histogram.count - 1)] += 1
        }
        angleSum += sum
        count += batchAngles.count
        for k in 0..<3 { withinCounts[k] += within[k] }
        if keepsAngles {
            if count <= Self.exactMedianLimit {
                angles += batchAngles.map { Float($0) }
            } else {
                keepsAngles = false
                angles = []
            }
        }
        let m = Double(batchAngles.count)
        batchSums[0] += sum / m
        batchSums[1] += Self.median(of: batchAngles)
        for k in 0..<3 { batchSums[2 + k] += Double(within[k]) / m }
        batchCount += 1
    }

    static func median(of values: [Double]) -> Double {
        let sorted = values.sorted()
        let n = sorted.count
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2
    }

    private var pooledMedian: Double {
        guard count > 0 else { return 0 }
        if keepsAngles { return Self.median(of: angles.map { Double($0) }) }
        func value(atRank rank: Int) -> Double {
            var seen = 0
            for (bin, c) in histogram.enumerated() {
                seen += Int(c)
                if seen > rank { return (Double(bin) + 0.5) / Self.binsPerDegree }
            }
            return 180
        }
        return count % 2 == 1 ? value(atRank: count / 2) : (value(atRank: count / 2 - 1) + value(atRank: count / 2)) / 2
    }

    /// Empty when no pixel of the split had a valid target normal: the angles are undefined there,
    /// and 0° would read as a perfect score.
    public var results: [String: Double] {
        guard count > 0 else { return [:] }
        switch averaging {
        case .pixels:
            let n = Double(count)
            return ["angleMean": angleSum / n, "angleMedian": pooledMedian, "within11.25": Double(withinCounts[0]) / n,
                    "within22.5": Double(withinCounts[1]) / n, "within30": Double(withinCounts[2]) / n]
        case .batches:
            let b = Double(max(batchCount, 1))
            return ["angleMean": batchSums[0] / b, "angleMedian": batchSums[1] / b, "within11.25": batchSums[2] / b,
                    "within22.5": batchSums[3] / b, "within30": batchSums[4] / b]
        }
    }
}
