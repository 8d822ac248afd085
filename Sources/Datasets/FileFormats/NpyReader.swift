import Foundation

/// Reads NumPy `.npy` files (format versions 1.0, 2.0 and 3.0).
///
/// Supported: little-, big- and no-endian (`<`, `>`, `|`, `=`) `bool`, `uint8`, `int8`, `int16`,
/// `int32`, `int64`, `float32` and `float64`, in C or Fortran order (Fortran arrays are transposed
/// to C order on read). Anything else — a wrong magic string, an unknown version, an unparsable
/// header, an unsupported dtype, missing bytes — throws a `DatasetError` naming the file.
public enum NpyReader {
    /// Reads the `.npy` file at `url`.
    public static func read(_ url: URL) throws -> NpyArray {
        try parse(readFileData(url), path: url.path)
    }

    /// Reads the file at `url` and checks its shape: `expectedShape` entries of `nil` match any size.
    public static func read(_ url: URL, expectedShape: [Int?]) throws -> NpyArray {
        let array = try read(url)
        let matches = array.shape.count == expectedShape.count
            && zip(array.shape, expectedShape).allSatisfy { $1 == nil || $0 == $1 }
        guard matches else {
            let text = "(" + expectedShape.map { $0.map(String.init) ?? "any" }.joined(separator: ", ") + ")"
            throw DatasetError.shapeMismatch(path: url.path, expected: text, found: array.shape)
        }
        return array
    }

    /// The shape and element type of the `.npy` file at `url`, read from its header only (the data
    /// is not read, but the file's size is checked against the header), so a whole tree can be
    /// checked cheaply before training.
    public static func readHeader(_ url: URL) throws -> (shape: [Int], elementType: NpyElementType) {
        let path = url.path
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw DatasetError.unreadable(path: path, reason: FileManager.default.fileExists(atPath: path) ? "permission denied or not a file" : "no such file")
        }
        defer { try? handle.close() }
        let size: UInt64
        let prefix: Data
        do {
            size = try handle.seekToEnd()
            try handle.seek(toOffset: 0)
            prefix = try handle.read(upToCount: 12) ?? Data()
        } catch {
            throw DatasetError.unreadable(path: path, reason: error.localizedDescription)
        }
        let start = [UInt8](prefix)
        var headerEnd = 10
        if start.count >= 12, start[6] == 2 || start[6] == 3 {
            headerEnd = 12 + (Int(start[8]) | Int(start[9]) << 8 | Int(start[10]) << 16 | Int(start[11]) << 24)
        } else if start.count >= 10 {
            headerEnd = 10 + (Int(start[8]) | Int(start[9]) << 8)
        }
        let headerData: Data
        do {
            try handle.seek(toOffset: 0)
            headerData = try handle.read(upToCount: min(headerEnd, Int(clamping: size))) ?? Data()
        } catch {
            throw DatasetError.unreadable(path: path, reason: error.localizedDescription)
        }
        let header = try parseHeader([UInt8](headerData), path: path, totalBytes: Int(clamping: size))
        return (header.shape, header.elementType)
    }

    /// What a `.npy` header says about the data that follows it.
    struct Header {
        var shape: [Int]
        var elementType: NpyElementType
        var fortranOrder: Bool
        var bigEndian: Bool
        /// Where the data starts and how many bytes it takes.
        var dataStart: Int
        var dataBytes: Int
    }

    /// Parses the bytes of a `.npy` file; `path` is only used in error messages.
    public static func parse(_ data: Data, path: String) throws -> NpyArray {
        let bytes = [UInt8](data)
        let header = try parseHeader(bytes, path: path, totalBytes: bytes.count)
        let (shape, elementType) = (header.shape, header.elementType)
        var payload = Array(bytes[header.dataStart..<(header.dataStart + header.dataBytes)])
        if header.bigEndian && elementType.byteCount > 1 {
            let width = elementType.byteCount
            for start in stride(from: 0, to: payload.count, by: width) {
                payload[start..<(start + width)].reverse()
            }
        }
        if elementType == .bool, let bad = payload.firstIndex(where: { $0 > 1 }) {
            throw DatasetError.invalidValue(path: path, reason: "bool element \(bad) has byte value \(payload[bad])")
        }
        if header.fortranOrder && shape.count > 1 {
            payload = fortranToC(payload, shape: shape, width: elementType.byteCount)
        }
        return NpyArray(shape: shape, elementType: elementType, bytes: payload)
    }

    /// Parses the header at the start of `bytes` (which may be only the header) and checks that a
    /// file of `totalBytes` holds the data it announces.
    static func parseHeader(_ bytes: [UInt8], path: String, totalBytes: Int) throws -> Header {
        let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // "\x93NUMPY"
        guard bytes.count >= 10, Array(bytes[0..<6]) == magic else {
            throw DatasetError.badHeader(path: path, expected: "the .npy magic string \\x93NUMPY",
                                         found: bytes.count < 6 ? "\(bytes.count) bytes" : describe(Array(bytes.prefix(6))))
        }
        let major = bytes[6]
        let headerLength: Int
        let headerStart: Int
        switch major {
        case 1:
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            headerStart = 10
        case 2, 3:
            guard bytes.count >= 12 else {
                throw DatasetError.truncated(path: path, expectedBytes: 12, foundBytes: bytes.count)
            }
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            headerStart = 12
        default:
            throw DatasetError.badHeader(path: path, expected: "format version 1, 2 or 3", found: "version \(major).\(bytes[7])")
        }
        guard bytes.count >= headerStart + headerLength else {
            throw DatasetError.truncated(path: path, expectedBytes: headerStart + headerLength, foundBytes: bytes.count)
        }
        let headerBytes = bytes[headerStart..<(headerStart + headerLength)]
        guard let header = String(bytes: headerBytes, encoding: major == 3 ? .utf8 : .isoLatin1) else {
            throw DatasetError.badHeader(path: path, expected: "a text header", found: "undecodable bytes")
        }
        var parser = NpyHeaderParser(text: header, path: path)
        let fields = try parser.parseDictionary()

        guard case let .string(descr)? = fields["descr"] else {
            throw DatasetError.badHeader(path: path, expected: "a 'descr' string entry", found: summary(header))
        }
        guard case let .bool(fortranOrder)? = fields["fortran_order"] else {
            throw DatasetError.badHeader(path: path, expected: "a 'fortran_order' True/False entry", found: summary(header))
        }
        guard case let .tuple(shape)? = fields["shape"] else {
            throw DatasetError.badHeader(path: path, expected: "a 'shape' tuple entry", found: summary(header))
        }
        guard let order = descr.first, "<>|=".contains(order), let elementType = NpyElementType(typeCode: String(descr.dropFirst())) else {
            throw DatasetError.dtypeMismatch(path: path, expected: "one of bool, uint8, int8, int16, int32, int64, float32, float64",
                                             found: "descr '\(descr)'")
        }
        guard let count = ElementCount.product(shape), let needed = ElementCount.byteCount(count, width: elementType.byteCount) else {
            throw DatasetError.badHeader(path: path, expected: "a 'shape' whose element count fits in memory",
                                         found: "shape \(shape) (the product overflows)")
        }
        let dataStart = headerStart + headerLength
        let available = totalBytes - dataStart
        guard available >= needed else {
            throw DatasetError.truncated(path: path, expectedBytes: needed, foundBytes: available)
        }
        return Header(shape: shape, elementType: elementType, fortranOrder: fortranOrder, bigEndian: order == ">",
                      dataStart: dataStart, dataBytes: needed)
    }

    /// A header for error messages: trimmed and at most 200 characters.
    private static func summary(_ header: String) -> String {
        let trimmed = header.trimmingCharacters(in: .whitespacesAndNewlines)
        return trimmed.count > 200 ? String(trimmed.prefix(200)) + "…" : trimmed
    }

    /// Reorders column-major element bytes into row-major order.
    static func fortranToC(_ source: [UInt8], shape: [Int], width: Int) -> [UInt8] {
        let rank = shape.count
        let count = shape.reduce(1, *)
        var fortranStrides = [Int](repeating: 1, count: rank)
        for axis in 1..<rank { fortranStrides[axis] = fortranStrides[axis - 1] * shape[axis - 1] }
        var result = [UInt8](repeating: 0, count: source.count)
        var index = [Int](repeating: 0, count: rank)
        var sourceOffset = 0
        for destination in 0..<count {
            for b in 0..<width { result[destination * width + b] = source[sourceOffset * width + b] }
            // Advance the row-major multi-index (last axis fastest) and the Fortran offset with it.
            var axis = rank - 1
            while axis >= 0 {
                index[axis] += 1
                sourceOffset += fortranStrides[axis]
                if index[axis] < shape[axis] { break }
                sourceOffset -= fortranStrides[axis] * shape[axis]
                index[axis] = 0
                axis -= 1
            }
        }
        return result
    }

    private static func describe(_ bytes: [UInt8]) -> String {
        "bytes " + bytes.map { String(format: "%02x", $0) }.joined(separator: " ")
    }
}

/// A value in the Python-literal header dictionary of a `.npy` file.
enum NpyHeaderValue: Equatable {
    case string(String)
    case bool(Bool)
    case tuple([Int])
}

/// A small parser for the header dictionary, e.g. `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }`.
struct NpyHeaderParser {
    let characters: [Character]
    let path: String
    let text: String
    var position = 0

    init(text: String, path: String) {
        self.text = text
        self.characters = Array(text)
        self.path = path
    }

    mutating func parseDictionary() throws -> [String: NpyHeaderValue] {
        skipSpace()
        try expect("{")
        var result: [String: NpyHeaderValue] = [:]
        while true {
            skipSpace()
            if peek() == "}" { position += 1; break }
            let key = try parseString()
            skipSpace()
            try expect(":")
            skipSpace()
            result[key] = try parseValue()
            skipSpace()
            if peek() == "," { position += 1; continue }
            skipSpace()
            try expect("}")
            break
        }
        return result
    }

    private mutating func parseValue() throws -> NpyHeaderValue {
        switch peek() {
        case "'", "\"": return .string(try parseString())
        case "(": return .tuple(try parseTuple())
        case "T", "F":
            if matchWord("True") { return .bool(true) }
            if matchWord("False") { return .bool(false) }
        default: break
        }
        throw failure("a string, True/False or a tuple")
    }

    private mutating func parseString() throws -> String {
        guard let quote = peek(), quote == "'" || quote == "\"" else { throw failure("a quoted string") }
        position += 1
        var value = ""
        while let c = peek(), c != quote {
            value.append(c)
            position += 1
        }
        try expect(quote)
        return value
    }

    private mutating func parseTuple() throws -> [Int] {
        try expect("(")
        var values: [Int] = []
        while true {
            skipSpace()
            if peek() == ")" { position += 1; return values }
            var digits = ""
            while let c = peek(), c.isNumber { digits.append(c); position += 1 }
            if peek() == "L" { position += 1 }  // Python 2 long suffix
            guard let value = Int(digits), value >= 0 else { throw failure("a non-negative integer dimension") }
            values.append(value)
            skipSpace()
            if peek() == "," { position += 1; continue }
            skipSpace()
            try expect(")")
            return values
        }
    }

    private mutating func matchWord(_ word: String) -> Bool {
        let letters = Array(word)
        guard position + letters.count <= characters.count,
              Array(characters[position..<(position + letters.count)]) == letters else { return false }
        position += letters.count
        return true
    }

    private func peek() -> Character? { position < characters.count ? characters[position] : nil }

    private mutating func skipSpace() {
        while let c = peek(), c.isWhitespace { position += 1 }
    }

    private mutating func expect(_ c: Character) throws {
        guard peek() == c else { throw failure("'\(c)'") }
        position += 1
    }

    private func failure(_ expected: String) -> DatasetError {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        let shown = trimmed.count > 200 ? String(trimmed.prefix(200)) + "…" : trimmed
        let found = peek().map { "'\($0)' at character \(position) of \(shown)" } ?? "the end of the header"
        return .badHeader(path: path, expected: expected, found: found)
    }
}
