import TandemCore

/// A plain row-major array of `Float` with a shape: the currency of Tandem's data pipeline.
///
/// Data sets produce `FloatArray`s (images in C×H×W, dense labels in H×W or C×H×W, class labels as
/// Float with −1 for "ignore"); batches stack them along a new leading axis; the trainer turns
/// them into `Tensor`s at the edge with `tensor()`.
public struct FloatArray: Equatable, Sendable, Codable {
    /// The shape, outermost axis first.
    public var shape: [Int]
    /// The elements in row-major order; `scalars.count == shape.reduce(1, *)`.
    public var scalars: [Float]

    /// An array with `shape` and the given elements.
    public init(shape: [Int], scalars: [Float]) {
        precondition(shape.reduce(1, *) == scalars.count, "FloatArray: shape \(shape) does not hold \(scalars.count) elements")
        self.shape = shape
        self.scalars = scalars
    }

    /// An array with every element equal to `value`.
    public init(shape: [Int], repeating value: Float) {
        self.init(shape: shape, scalars: [Float](repeating: value, count: shape.reduce(1, *)))
    }

    /// Integer labels stored as Float (exact for |label| < 2²⁴).
    public init(shape: [Int], labels: [Int32]) {
        self.init(shape: shape, scalars: labels.map { Float($0) })
    }

    /// The number of elements.
    public var count: Int { scalars.count }

    /// The array as a Float32 `Tensor`.
    public func tensor() -> Tensor { Tensor(shape: shape, scalars: scalars) }

    /// Stacks equally shaped arrays along a new leading axis.
    public static func stack(_ arrays: [FloatArray]) -> FloatArray {
        precondition(!arrays.isEmpty, "FloatArray.stack needs at least one array")
        let shape = arrays[0].shape
        var scalars = [Float]()
        scalars.reserveCapacity(arrays.count * arrays[0].count)
        for array in arrays {
            precondition(array.shape == shape, "FloatArray.stack: shapes \(shape) and \(array.shape) differ")
            scalars.append(contentsOf: array.scalars)
        }
        return FloatArray(shape: [arrays.count] + shape, scalars: scalars)
    }
}
