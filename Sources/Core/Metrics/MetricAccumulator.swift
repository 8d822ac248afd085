/// Whether larger or smaller values of a metric are better (the `l_i` of Δ_MTL).
public enum MetricDirection: String, Sendable, Codable, Equatable {
    case higherIsBetter
    case lowerIsBetter
}

/// An error in metric inputs: mismatched shapes, missing or zero baseline values.
public struct MetricError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A metric accumulated over a whole split: `update` once per batch, read `results` at the end.
///
/// Predictions and targets are batch-first tensors (or plain arrays with shapes) using the data
/// conventions of Tandem's data sets: class labels as Float with −1 = ignore, depth with 0 = invalid,
/// normals with all-zero = invalid.
public protocol MetricAccumulator {
    /// Adds one batch.
    mutating func update(prediction: Tensor, target: Tensor) throws
    /// The metric values by name (see each type for names and definitions).
    var results: [String: Double] { get }
    /// Whether higher or lower is better, for each name in `results`.
    static var directions: [String: MetricDirection] { get }
    /// Forgets everything accumulated.
    mutating func reset()
}

/// Reads a tensor's scalars without copying.
@inline(__always)
func withScalars<R>(_ tensor: Tensor, _ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
    try tensor.withUnsafeBufferPointer(body)
}
