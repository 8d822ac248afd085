/// Depth errors over valid pixels (target ≠ 0), as MTAN's `depth_error`:
///
/// * absolute error = Σ |p − t| / #valid,
/// * relative error = Σ |p − t| / t / #valid,
/// * `absError100` = 10² × absolute error (the unit the TMT paper reports).
///
/// `averaging` picks the reduction over a split: `.pixels` (default) divides split-wide sums by the
/// split's valid-pixel count; `.batches` averages per-batch values with equal weight per batch, which
/// is what the MTAN / Auto-λ trainers print (they add each batch's value / number of batches).
/// Results: `absError`, `relError`, `absError100` — none at all when no pixel was valid.
public struct DepthError: MetricAccumulator, Equatable, Sendable {
    public enum Averaging: String, Sendable, Codable { case pixels, batches }

    public let averaging: Averaging
    public private(set) var absoluteSum = 0.0
    public private(set) var relativeSum = 0.0
    public private(set) var validCount = 0
    /// Sums of per-batch means and the number of batches (for `.batches`).
    private var batchAbsoluteSum = 0.0
    private var batchRelativeSum = 0.0
    private var batchCount = 0

    public init(averaging: Averaging = .pixels) { self.averaging = averaging }

    public static let directions: [String: MetricDirection] = [
        "absError": .lowerIsBetter, "relError": .lowerIsBetter, "absError100": .lowerIsBetter,
    ]

    public mutating func reset() { self = DepthError(averaging: averaging) }

    /// Adds one batch of predicted and target depths (same count; target 0 = invalid).
    public mutating func update(predictions: [Float], targets: [Float]) throws {
        guard predictions.count == targets.count else {
            throw MetricError("DepthError: \(predictions.count) predictions for \(targets.count) targets")
        }
        var absolute = 0.0, relative = 0.0, valid = 0
        for (p, t) in zip(predictions, targets) where t != 0 {
            let error = Double(abs(p - t))
            absolute += error
            relative += error / Double(t)
            valid += 1
        }
        absoluteSum += absolute
        relativeSum += relative
        validCount += valid
        if valid > 0 {
            batchAbsoluteSum += absolute / Double(valid)
            batchRelativeSum += relative / Double(valid)
            batchCount += 1
        }
    }

    public mutating func update(prediction: Tensor, target: Tensor) throws {
        guard prediction.shape == target.shape else {
            throw MetricError("DepthError: prediction shape \(prediction.shape) differs from target shape \(target.shape)")
        }
        try update(predictions: prediction.scalars, targets: target.scalars)
    }

    public var absoluteError: Double {
        switch averaging {
        case .pixels: return validCount > 0 ? absoluteSum / Double(validCount) : 0
        case .batches: return batchCount > 0 ? batchAbsoluteSum / Double(batchCount) : 0
        }
    }

    public var relativeError: Double {
        switch averaging {
        case .pixels: return validCount > 0 ? relativeSum / Double(validCount) : 0
        case .batches: return batchCount > 0 ? batchRelativeSum / Double(batchCount) : 0
        }
    }

    /// Empty when no pixel of the split was valid: the errors are undefined there, and reporting 0
    /// would read as a perfect score (`StandardMetrics.note` explains the absence).
    public var results: [String: Double] {
        guard validCount > 0 else { return [:] }
        return ["absError": absoluteError, "relError": relativeError, "absError100": 100 * absoluteError]
    }
}
