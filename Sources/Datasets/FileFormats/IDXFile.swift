import Foundation

/// Reads unsigned-byte IDX files, the format of MNIST and Fashion-MNIST (big-endian header: two zero
/// bytes, the type code 0x08, the number of dimensions, one UInt32 per dimension, then raw bytes).
public enum IDXFile {
    /// The shape and bytes of the IDX file at `url`. Throws for gzip-compressed files (decompress them
    /// first), other element types, and truncated files, naming the file.
    public static func read(_ url: URL) throws -> (shape: [Int], bytes: [UInt8]) {
        try parse([UInt8](try readFileData(url)), path: url.path)
    }

    /// Parses the bytes of an IDX file; `path` names it in errors.
    public static func parse(_ bytes: [UInt8], path: String) throws -> (shape: [Int], bytes: [UInt8]) {
        if bytes.count >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B {
            throw DatasetError.badHeader(path: path, expected: "an uncompressed IDX file", found: "gzip data (run gunzip on it first)")
        }
        guard bytes.count >= 4 else { throw DatasetError.truncated(path: path, expectedBytes: 4, foundBytes: bytes.count) }
        guard bytes[0] == 0 && bytes[1] == 0 else {
            throw DatasetError.badHeader(path: path, expected: "an IDX magic number starting with two zero bytes",
                                         found: String(format: "%02x %02x", bytes[0], bytes[1]))
        }
        guard bytes[2] == 0x08 else {
            throw DatasetError.dtypeMismatch(path: path, expected: "unsigned bytes (IDX type 0x08)", found: String(format: "type 0x%02x", bytes[2]))
        }
        let rank = Int(bytes[3])
        let headerLength = 4 + 4 * rank
        guard rank >= 1 else {
            throw DatasetError.badHeader(path: path, expected: "at least one dimension (byte 3 of the header)", found: "0 dimensions")
        }
        guard bytes.count >= headerLength else {
            throw DatasetError.truncated(path: path, expectedBytes: headerLength, foundBytes: bytes.count)
        }
        let shape = (0..<rank).map { axis -> Int in
            let o = 4 + 4 * axis
            return Int(bytes[o]) << 24 | Int(bytes[o + 1]) << 16 | Int(bytes[o + 2]) << 8 | Int(bytes[o + 3])
        }
        guard let count = ElementCount.product(shape) else {
            throw DatasetError.badHeader(path: path, expected: "dimensions whose product fits in memory",
                                         found: "dimensions \(shape) (the product overflows)")
        }
        guard bytes.count - headerLength >= count else {
            throw DatasetError.truncated(path: path, expectedBytes: count, foundBytes: bytes.count - headerLength)
        }
        return (shape, Array(bytes[headerLength..<(headerLength + count)]))
    }

    /// The bytes of an unsigned-byte IDX file of `shape` (for tests and conversions).
    public static func encode(shape: [Int], bytes: [UInt8]) -> Data {
        precondition(shape.reduce(1, *) == bytes.count, "IDXFile.encode: shape \(shape) does not hold \(bytes.count) bytes")
        var data = Data([0, 0, 0x08, UInt8(shape.count)])
        for dimension in shape {
            data.append(contentsOf: [UInt8(dimension >> 24 & 0xFF), UInt8(dimension >> 16 & 0xFF),
                                     UInt8(dimension >> 8 & 0xFF), UInt8(dimension & 0xFF)])
        }
        data.append(contentsOf: bytes)
        return data
    }
}
