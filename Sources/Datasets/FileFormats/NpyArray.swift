import Foundation
import TandemCore

/// The element types Tandem reads from and writes to NumPy `.npy` files.
public enum NpyElementType: String, CaseIterable, Sendable {
    case bool, uint8, int8, int16, int32, int64, float32, float64

    /// Bytes per element.
    public var byteCount: Int {
        switch self {
        case .bool, .uint8, .int8: return 1
        case .int16: return 2
        case .int32, .float32: return 4
        case .int64, .float64: return 8
        }
    }

    /// The NumPy type code without byte order (`f4`, `i8`, `b1`, …).
    public var typeCode: String {
        switch self {
        case .bool: return "b1"
        case .uint8: return "u1"
        case .int8: return "i1"
        case .int16: return "i2"
        case .int32: return "i4"
        case .int64: return "i8"
        case .float32: return "f4"
        case .float64: return "f8"
        }
    }

    /// The little-endian NumPy `descr` string written by `NpyArray.write(to:)`.
    public var descriptor: String { (byteCount == 1 ? "|" : "<") + typeCode }

    init?(typeCode: String) {
        guard let match = NpyElementType.allCases.first(where: { $0.typeCode == typeCode }) else { return nil }
        self = match
    }
}

/// An array read from (or to be written to) a NumPy `.npy` file.
///
/// The elements are kept in C (row-major) order and host (little-endian) byte order whatever the
/// file used, in their original element type; the accessors convert to `Float`, `Double`, `Int32`
/// or `Int64`, checking exactness where a conversion could lose information.
public struct NpyArray: Equatable, Sendable {
    /// The array's shape (empty for a scalar).
    public let shape: [Int]
    /// The element type stored in the file.
    public let elementType: NpyElementType
    /// Raw little-endian element bytes in row-major order.
    public let bytes: [UInt8]

    /// The number of elements.
    public var count: Int { shape.reduce(1, *) }

    init(shape: [Int], elementType: NpyElementType, bytes: [UInt8]) {
        self.shape = shape
        self.elementType = elementType
        self.bytes = bytes
    }

    /// A float32 array (shape must match the count of `scalars`).
    public init(shape: [Int], float32 scalars: [Float]) {
        precondition(shape.reduce(1, *) == scalars.count, "NpyArray: shape \(shape) does not hold \(scalars.count) elements")
        self.init(shape: shape, elementType: .float32, bytes: scalars.withUnsafeBytes { Array($0) })
    }

    /// A float64 array.
    public init(shape: [Int], float64 scalars: [Double]) {
        precondition(shape.reduce(1, *) == scalars.count, "NpyArray: shape \(shape) does not hold \(scalars.count) elements")
        self.init(shape: shape, elementType: .float64, bytes: scalars.withUnsafeBytes { Array($0) })
    }

    /// An int64 array.
    public init(shape: [Int], int64 scalars: [Int64]) {
        precondition(shape.reduce(1, *) == scalars.count, "NpyArray: shape \(shape) does not hold \(scalars.count) elements")
        self.init(shape: shape, elementType: .int64, bytes: scalars.withUnsafeBytes { Array($0) })
    }

    /// An int32 array.
    public init(shape: [Int], int32 scalars: [Int32]) {
        precondition(shape.reduce(1, *) == scalars.count, "NpyArray: shape \(shape) does not hold \(scalars.count) elements")
        self.init(shape: shape, elementType: .int32, bytes: scalars.withUnsafeBytes { Array($0) })
    }

    /// A uint8 array.
    public init(shape: [Int], uint8 scalars: [UInt8]) {
        precondition(shape.reduce(1, *) == scalars.count, "NpyArray: shape \(shape) does not hold \(scalars.count) elements")
        self.init(shape: shape, elementType: .uint8, bytes: scalars)
    }

    /// A bool array.
    public init(shape: [Int], bool scalars: [Bool]) {
        precondition(shape.reduce(1, *) == scalars.count, "NpyArray: shape \(shape) does not hold \(scalars.count) elements")
        self.init(shape: shape, elementType: .bool, bytes: scalars.map { $0 ? 1 : 0 })
    }

    /// Every element as `Double` (exact for all supported types except int64 beyond 2⁵³).
    public func doubleScalars() -> [Double] {
        var result = [Double](repeating: 0, count: count)
        bytes.withUnsafeBytes { raw in
            switch elementType {
            case .bool, .uint8: for i in 0..<result.count { result[i] = Double(raw[i]) }
            case .int8: for i in 0..<result.count { result[i] = Double(Int8(bitPattern: raw[i])) }
            case .int16: for i in 0..<result.count { result[i] = Double(raw.loadUnaligned(fromByteOffset: 2 * i, as: Int16.self)) }
            case .int32: for i in 0..<result.count { result[i] = Double(raw.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self)) }
            case .int64: for i in 0..<result.count { result[i] = Double(raw.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self)) }
            case .float32: for i in 0..<result.count { result[i] = Double(raw.loadUnaligned(fromByteOffset: 4 * i, as: Float.self)) }
            case .float64: for i in 0..<result.count { result[i] = raw.loadUnaligned(fromByteOffset: 8 * i, as: Double.self) }
            }
        }
        return result
    }

    /// Every element as `Float` (float64 values are rounded to the nearest float32).
    public func floatScalars() -> [Float] {
        if elementType == .float32 {
            return bytes.withUnsafeBytes { raw in
                (0..<count).map { raw.loadUnaligned(fromByteOffset: 4 * $0, as: Float.self) }
            }
        }
        return doubleScalars().map { Float($0) }
    }

    /// Every element as `Int64`; throws for floating-point arrays with non-integral values.
    /// - Parameter path: named in the error.
    public func int64Scalars(path: String = "<array>") throws -> [Int64] {
        if elementType == .int64 {
            return bytes.withUnsafeBytes { raw in (0..<count).map { raw.loadUnaligned(fromByteOffset: 8 * $0, as: Int64.self) } }
        }
        let values = doubleScalars()
        var result = [Int64](repeating: 0, count: values.count)
        for (i, value) in values.enumerated() {
            guard value.rounded() == value, abs(value) < 9.2e18 else {
                throw DatasetError.invalidValue(path: path, reason: "element \(i) is \(value), expected an integer label")
            }
            result[i] = Int64(value)
        }
        return result
    }

    /// Every element as `Int32` (labels); throws when a value is not an integer in Int32 range.
    public func int32Scalars(path: String = "<array>") throws -> [Int32] {
        let wide = try int64Scalars(path: path)
        var result = [Int32](repeating: 0, count: wide.count)
        for (i, value) in wide.enumerated() {
            guard let narrow = Int32(exactly: value) else {
                throw DatasetError.invalidValue(path: path, reason: "element \(i) is \(value), outside the Int32 range")
            }
            result[i] = narrow
        }
        return result
    }

    /// The array as a Float32 `Tensor` of the same shape.
    public func tensor() -> Tensor { Tensor(shape: shape, scalars: floatScalars()) }
}
