import Foundation

/// An immutable, contiguous, row-major array of `Float` with a shape.
///
/// A tensor is a value of reference type: its contents never change after creation, so sharing
/// is always safe. A tensor that takes part in differentiation carries a `Node` on the tape (see
/// `Tape`); constants carry none.
///
/// An N×C×H×W activation may hold its values in the convolution kernels' channel-blocked format
/// (`format`, see `ActivationFormat`); `storage` is then an N×C×H×W copy made on first use, so
/// every op that does not read the blocked format sees the row-major values.
public final class Tensor: CustomStringConvertible {
    public let shape: [Int]
    public let count: Int
    /// The values as this tensor holds them, in `format`.
    let heldStorage: TensorStorage
    let format: ActivationFormat
    var node: Node?
    /// A blocked tensor's N×C×H×W copy, once something has read `storage`.
    private var plainCopy: TensorStorage?
    private static let plainCopyLock = NSLock()

    /// Wraps freshly filled storage. Internal: ops and initialisers create tensors.
    init(shape: [Int], storage: TensorStorage, format: ActivationFormat = .plain, node: Node? = nil) {
        precondition(format == .plain || shape.count == 4, "a channel-blocked tensor must be N×C×H×W, got \(shape)")
        let count = Shape.count(shape)
        precondition(storage.count == (format == .plain ? count : format.storageCount(shape)),
                     "storage does not match shape \(shape) in \(format)")
        self.shape = shape
        self.count = count
        self.heldStorage = storage
        self.format = format
        self.node = node
    }

    /// The values in row-major N×C×H×W order (for a blocked tensor, its copy made once).
    var storage: TensorStorage {
        guard case .blocked = format else { return heldStorage }
        Tensor.plainCopyLock.lock()
        defer { Tensor.plainCopyLock.unlock() }
        if let plainCopy { return plainCopy }
        let copy = format.reordered(heldStorage, shape, to: .plain)
        plainCopy = copy
        return copy
    }

    /// The held values' first float (in `format`), for the ops that read that format.
    var heldPointer: UnsafeMutablePointer<Float> { heldStorage.pointer }

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
    public var detached: Tensor { node == nil ? self : Tensor(shape: shape, storage: heldStorage, format: format) }

    /// The same values as a new leaf of the tape: gradients can be taken with respect to it.
    public func tracked() -> Tensor {
        Tensor(shape: shape, storage: heldStorage, format: format, node: Node(leafShape: shape))
    }

    public var description: String {
        let shown = count <= 16 ? "\(scalars)" : "\(Array(scalars.prefix(8))) …"
        return "Tensor\(shape) \(shown)"
    }

    var pointer: UnsafeMutablePointer<Float> { storage.pointer }
}
