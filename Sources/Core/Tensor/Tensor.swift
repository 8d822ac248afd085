/// An immutable, contiguous, row-major array of `Float` with a shape.
///
/// A tensor is a value of reference type: its contents never change after creation, so sharing
/// is always safe. A tensor that takes part in differentiation carries a `Node` on the tape (see
/// `Tape`); constants carry none.
public final class Tensor: CustomStringConvertible {
    public let shape: [Int]
    public let count: Int
    let storage: TensorStorage
    var node: Node?

    /// Wraps freshly filled storage. Internal: ops and initialisers create tensors.
    init(shape: [Int], storage: TensorStorage, node: Node? = nil) {
        precondition(storage.count == Shape.count(shape), "storage does not match shape \(shape)")
        self.shape = shape
        self.count = storage.count
        self.storage = storage
        self.node = node
    }

    /// Creates a tensor from row-major `scalars`.
    public convenience init(shape: [Int], scalars: [Float]) {
        precondition(scalars.count == Shape.count(shape),
                     "Tensor(shape: \(shape)) needs \(Shape.count(shape)) scalars, got \(scalars.count)")
        let storage = TensorStorage(count: scalars.count)
        scalars.withUnsafeBufferPointer { source in
            if let base = source.baseAddress { storage.pointer.update(from: base, count: scalars.count) }
        }
        self.init(shape: shape, storage: storage)
    }

    /// A scalar (rank-0) tensor.
    public convenience init(_ value: Float) { self.init(shape: [], scalars: [value]) }

    /// Creates a tensor by filling uninitialised storage of `shape` through `body`.
    public convenience init(shape: [Int], filling body: (UnsafeMutableBufferPointer<Float>) -> Void) {
        let storage = TensorStorage(count: Shape.count(shape))
        body(UnsafeMutableBufferPointer(start: storage.pointer, count: storage.count))
        self.init(shape: shape, storage: storage)
    }

    public static func zeros(_ shape: [Int]) -> Tensor { filled(shape, with: 0) }
    public static func ones(_ shape: [Int]) -> Tensor { filled(shape, with: 1) }

    public static func filled(_ shape: [Int], with value: Float) -> Tensor {
        Tensor(shape: shape) { $0.initialize(repeating: value) }
    }

    /// Values from N(mean, std²) drawn from `generator`.
    public static func randomNormal(_ shape: [Int], mean: Float = 0, standardDeviation: Float = 1,
                                    generator: inout SeededGenerator) -> Tensor {
        Tensor(shape: shape) { buffer in
            for i in 0..<buffer.count { buffer[i] = mean + standardDeviation * generator.nextNormal() }
        }
    }

    /// Values uniform in [low, high) drawn from `generator`.
    public static func randomUniform(_ shape: [Int], low: Float = 0, high: Float = 1,
                                     generator: inout SeededGenerator) -> Tensor {
        Tensor(shape: shape) { buffer in
            for i in 0..<buffer.count { buffer[i] = low + (high - low) * generator.nextUniform() }
        }
    }

    public var rank: Int { shape.count }
    public var scalars: [Float] { Array(UnsafeBufferPointer(start: storage.pointer, count: count)) }

    /// The single value of a one-element tensor.
    public var scalar: Float {
        precondition(count == 1, "scalar needs a one-element tensor, shape is \(shape)")
        return storage.pointer[0]
    }

    /// Read access to the contents without copying.
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: storage.pointer, count: count))
    }

    /// Whether this tensor is recorded on the tape (gradients can flow to it).
    public var isTracked: Bool { node != nil }

    /// The same values, cut off from the tape (a constant).
    public var detached: Tensor { node == nil ? self : Tensor(shape: shape, storage: storage) }

    /// The same values as a new leaf of the tape: gradients can be taken with respect to it.
    public func tracked() -> Tensor {
        Tensor(shape: shape, storage: storage, node: Node(leafShape: shape))
    }

    public var description: String {
        let shown = count <= 16 ? "\(scalars)" : "\(Array(scalars.prefix(8))) …"
        return "Tensor\(shape) \(shown)"
    }

    var pointer: UnsafeMutablePointer<Float> { storage.pointer }
}
