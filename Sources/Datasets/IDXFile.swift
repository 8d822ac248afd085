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

/// Handwritten digits (MNIST) or clothing (Fashion-MNIST) from a pair of IDX files.
///
/// Input `[1, rows, cols]` with values in 0…1 (byte / 255); one task, `class` (10 classes).
public struct MNIST: MultiTaskDataset {
    public let name: String
    public let rows: Int
    public let columns: Int
    /// The images, `count × rows × columns` bytes.
    public let pixels: [UInt8]
    /// The labels 0…9.
    public let labels: [UInt8]

    /// Reads an images file (magic 2051, N×rows×cols) and a labels file (magic 2049, N).
    public init(images: URL, labels labelsURL: URL, name: String = "mnist") throws {
        try self.init(imageBytes: [UInt8](try readFileData(images)), imagesPath: images.path,
                      labelBytes: [UInt8](try readFileData(labelsURL)), labelsPath: labelsURL.path, name: name)
    }

    /// Reads the contents of an images file and a labels file; the paths name them in errors.
    public init(imageBytes: [UInt8], imagesPath: String, labelBytes: [UInt8], labelsPath: String, name: String = "mnist") throws {
        let (imageShape, pixels) = try IDXFile.parse(imageBytes, path: imagesPath)
        guard imageShape.count == 3 else {
            throw DatasetError.shapeMismatch(path: imagesPath, expected: "(count, rows, columns)", found: imageShape)
        }
        guard imageShape[1] >= 1, imageShape[2] >= 1 else {
            throw DatasetError.shapeMismatch(path: imagesPath, expected: "(count, rows ≥ 1, columns ≥ 1)", found: imageShape)
        }
        let (labelShape, labels) = try IDXFile.parse(labelBytes, path: labelsPath)
        guard labelShape.count == 1 else {
            throw DatasetError.shapeMismatch(path: labelsPath, expected: "(count)", found: labelShape)
        }
        guard labelShape[0] == imageShape[0] else {
            throw DatasetError.shapeMismatch(path: labelsPath, expected: "(\(imageShape[0])) labels, one per image in \((imagesPath as NSString).lastPathComponent)",
                                             found: labelShape)
        }
        if let bad = labels.firstIndex(where: { $0 > 9 }) {
            throw DatasetError.invalidValue(path: labelsPath, reason: "label \(bad) is \(labels[bad]), expected 0…9")
        }
        self.name = name
        self.rows = imageShape[1]
        self.columns = imageShape[2]
        self.pixels = pixels
        self.labels = labels
    }

    public var count: Int { labels.count }
    public var inputShape: [Int] { [1, rows, columns] }
    public var tasks: [TaskTarget] { [TaskTarget(name: "class", kind: .classification(classCount: 10), shape: [])] }

    /// Image `index` as bytes (rows × columns).
    public func image(at index: Int) -> ArraySlice<UInt8> {
        pixels[(index * rows * columns)..<((index + 1) * rows * columns)]
    }

    public func example(at index: Int) throws -> Example {
        try checkIndex(index)
        return Example(input: FloatArray(shape: inputShape, scalars: image(at: index).map { Float($0) / 255 }),
                       targets: ["class": FloatArray(shape: [], scalars: [Float(labels[index])])])
    }
}
