import Foundation

/// Named tensors in the safetensors format (Hugging Face; the format model weights of the PyTorch
/// world travel in).
///
/// Layout: an 8-byte little-endian header length N; N bytes of UTF-8 JSON
/// `{"__metadata__": {STRING: STRING}, NAME: {"dtype": D, "shape": [d₀, …], "data_offsets": [b, e]}, …}`
/// (padded with spaces); then the data: tensor NAME's little-endian values in C order at bytes
/// b..<e after the header. The tensors must cover the data exactly, without holes or overlaps.
///
/// Reading accepts every float type (F64, F32, F16, BF16 — converted to Float32 by `floats(_:)`)
/// and the integer and bool types (read by `integers(_:)`, e.g. batch norm's `num_batches_tracked`),
/// and checks every header field, throwing a `SafeTensorsError` that names the file, the tensor and
/// what was expected — never trapping on a damaged or crafted file. Writing stores F32 and I64
/// tensors byte for byte as the Python `safetensors` package does (tensors ordered by data type,
/// wider first, then by name; compact JSON; the header padded to a multiple of 8 bytes).
public struct SafeTensors {
    /// The element types of the format.
    public enum DataType: String, CaseIterable, Sendable {
        case bool = "BOOL", u8 = "U8", i8 = "I8", i16 = "I16", u16 = "U16", f16 = "F16", bf16 = "BF16"
        case i32 = "I32", u32 = "U32", f32 = "F32", f64 = "F64", i64 = "I64", u64 = "U64"

        /// Bytes per element.
        public var size: Int {
            switch self {
            case .bool, .u8, .i8: 1
            case .i16, .u16, .f16, .bf16: 2
            case .i32, .u32, .f32: 4
            case .f64, .i64, .u64: 8
            }
        }

        /// The writer's order (the Python package's: its enum order, written descending).
        var rank: Int { Self.allCases.firstIndex(of: self)! }
        public var isFloatingPoint: Bool { [.f16, .bf16, .f32, .f64].contains(self) }
    }

    /// One tensor: its type, shape and raw little-endian bytes.
    public struct Entry: Sendable {
        public var dataType: DataType
        public var shape: [Int]
        public var bytes: [UInt8]
        public var count: Int { shape.reduce(1, *) }

        public init(dataType: DataType, shape: [Int], bytes: [UInt8]) {
            self.dataType = dataType
            self.shape = shape
            self.bytes = bytes
        }

        /// A Float32 tensor.
        public init(_ tensor: Tensor) {
            self.init(dataType: .f32, shape: tensor.shape, bytes: tensor.withUnsafeBufferPointer { values in
                values.flatMap { value in withUnsafeBytes(of: value.bitPattern.littleEndian, Array.init) }
            })
        }

        /// An Int64 tensor of `shape`.
        public init(integers: [Int64], shape: [Int]) {
            self.init(dataType: .i64, shape: shape, bytes: integers.flatMap { withUnsafeBytes(of: $0.littleEndian, Array.init) })
        }
    }

    /// The tensors by name.
    public var entries: [String: Entry]
    /// The header's `__metadata__` (free-form strings).
    public var metadata: [String: String]
    /// Where the tensors were read from (for messages), or "<memory>".
    public var source: String

    public init(entries: [String: Entry] = [:], metadata: [String: String] = [:], source: String = "<memory>") {
        self.entries = entries
        self.metadata = metadata
        self.source = source
    }

    /// The largest header the reader accepts (the Python package's limit).
    public static let maximumHeaderLength = 100_000_000
    static let maximumRank = 16
    static let maximumElements = 1 << 40

    func fail(_ problem: String) -> SafeTensorsError { SafeTensorsError(file: source, problem: problem) }

    /// The names, sorted.
    public var names: [String] { entries.keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) } }

    /// Tensor `name` as Float32 values in C order, converted from any float type; an error names
    /// the tensor when it is missing or holds integers.
    public func floats(_ name: String) throws -> Tensor {
        guard let entry = entries[name] else { throw fail("no tensor '\(name)' (the file has \(names.count): \(Self.abbreviated(names)))") }
        guard entry.dataType.isFloatingPoint else {
            throw fail("tensor '\(name)' holds \(entry.dataType.rawValue) values; expected a float type (F32, F64, F16 or BF16)")
        }
        let size = entry.dataType.size
        return entry.bytes.withUnsafeBytes { raw in
            Tensor(shape: entry.shape) { out in
                for i in 0..<out.count {
                    let at = i * size
                    switch entry.dataType {
                    case .f32: out[i] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: UInt32.self)))
                    case .f64: out[i] = Float(Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: UInt64.self))))
                    case .f16: out[i] = Self.float(half: UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: UInt16.self)))
                    case .bf16: out[i] = Float(bitPattern: UInt32(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: UInt16.self))) << 16)
                    default: preconditionFailure("checked above")
                    }
                }
            }
        }
    }

    /// Tensor `name` as integers (any integer or bool type); an error names the tensor when it is
    /// missing or holds floats.
    public func integers(_ name: String) throws -> [Int64] {
        guard let entry = entries[name] else { throw fail("no tensor '\(name)' (the file has \(names.count): \(Self.abbreviated(names)))") }
        guard !entry.dataType.isFloatingPoint else {
            throw fail("tensor '\(name)' holds \(entry.dataType.rawValue) values; expected an integer type")
        }
        let size = entry.dataType.size
        return entry.bytes.withUnsafeBytes { raw in
            (0..<entry.count).map { i -> Int64 in
                let at = i * size
                switch entry.dataType {
                case .bool, .u8: return Int64(raw[at])
                case .i8: return Int64(Int8(bitPattern: raw[at]))
                case .i16: return Int64(Int16(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: Int16.self)))
                case .u16: return Int64(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: UInt16.self)))
                case .i32: return Int64(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: Int32.self)))
                case .u32: return Int64(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: UInt32.self)))
                case .i64: return Int64(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: Int64.self))
                case .u64: return Int64(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: UInt64.self)))
                default: preconditionFailure("checked above")
                }
            }
        }
    }

    /// IEEE 754 binary16 → Float32 (subnormals, infinities and NaN included).
    static func float(half bits: UInt16) -> Float {
        let sign = UInt32(bits >> 15) << 31
        let exponent = Int(bits >> 10) & 0x1F
        let fraction = UInt32(bits & 0x3FF)
        switch exponent {
        case 0:
            let magnitude = Float(fraction) * 0x1p-24
            return sign != 0 ? -magnitude : magnitude
        case 31: return Float(bitPattern: sign | 0x7F80_0000 | fraction << 13)
        default: return Float(bitPattern: sign | UInt32(exponent - 15 + 127) << 23 | fraction << 13)
        }
    }

    static func abbreviated(_ names: [String]) -> String {
        names.count <= 8 ? names.joined(separator: ", ") : names.prefix(8).joined(separator: ", ") + ", …"
    }
}

/// A safetensors file that could not be read or written, naming the file and what was wrong.
public struct SafeTensorsError: Error, CustomStringConvertible {
    public var file: String
    public var problem: String
    public init(file: String, problem: String) { self.file = file; self.problem = problem }
    public var description: String { "\(file): \(problem)" }
}

// MARK: - Reading

extension SafeTensors {
    /// Reads the file at `url`.
    public static func read(from url: URL) throws -> SafeTensors {
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw SafeTensorsError(file: url.path, problem: "cannot read (\(FileProblem.reason(error)))") }
        return try SafeTensors(decoding: [UInt8](data), source: url.path)
    }

    /// Decodes a whole file's bytes, checking the header length, the JSON, every tensor's type,
    /// shape and offsets, and that the tensors cover the data exactly.
    public init(decoding bytes: [UInt8], source: String) throws {
        self.init(source: source)
        guard bytes.count >= 8 else { throw fail("\(bytes.count) bytes; a safetensors file starts with an 8-byte header length") }
        let declared = bytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        guard declared <= UInt64(Self.maximumHeaderLength) else {
            throw fail("header length \(declared) is over the \(Self.maximumHeaderLength)-byte limit (not a safetensors file?)")
        }
        let headerLength = Int(declared)
        guard headerLength <= bytes.count - 8 else {
            throw fail("header length \(headerLength) exceeds the \(bytes.count - 8) bytes after the length field (truncated file?)")
        }
        let headerBytes = bytes[8..<(8 + headerLength)]
        guard headerBytes.first == UInt8(ascii: "{") else { throw fail("the header does not start with '{' (expected a JSON object)") }
        guard let text = String(bytes: headerBytes, encoding: .utf8) else { throw fail("the header is not UTF-8") }
        let object: Any
        do { object = try JSONSerialization.jsonObject(with: Data(text.utf8)) } catch { throw fail("the header is not valid JSON (\(error.localizedDescription))") }
        guard let header = object as? [String: Any] else { throw fail("the header is not a JSON object") }

        let dataStart = 8 + headerLength
        let dataLength = bytes.count - dataStart
        var spans: [(name: String, range: Range<Int>)] = []
        for (name, value) in header {
            if name == "__metadata__" {
                guard let map = value as? [String: Any], let strings = map as? [String: String] else {
                    throw fail("__metadata__ must map strings to strings")
                }
                metadata = strings
                continue
            }
            let entry = try Self.entry(name, value, dataLength: dataLength, fail: fail)
            let range = entry.range
            entries[name] = Entry(dataType: entry.dataType, shape: entry.shape, bytes: Array(bytes[(dataStart + range.lowerBound)..<(dataStart + range.upperBound)]))
            spans.append((name, range))
        }
        // The data must be covered exactly: sorted by start, each span begins where the last ended.
        var end = 0
        for span in spans.sorted(by: { ($0.range.lowerBound, $0.range.upperBound) < ($1.range.lowerBound, $1.range.upperBound) }) {
            guard span.range.lowerBound == end else {
                throw fail(span.range.lowerBound < end
                    ? "tensor '\(span.name)' at bytes \(span.range) overlaps the tensor before it (which ends at \(end))"
                    : "bytes \(end)..<\(span.range.lowerBound) of the data belong to no tensor (tensor '\(span.name)' starts at \(span.range.lowerBound))")
            }
            end = span.range.upperBound
        }
        guard end == dataLength else {
            throw fail("the tensors cover \(end) bytes of data, the file holds \(dataLength) after the header")
        }
    }

    /// Checks one header entry: a known dtype, a shape of non-negative sizes, and data offsets
    /// [begin, end] inside the data whose length is the shape's element count times the type's size.
    static func entry(_ name: String, _ value: Any, dataLength: Int, fail: (String) -> SafeTensorsError) throws
        -> (dataType: DataType, shape: [Int], range: Range<Int>) {
        guard let fields = value as? [String: Any] else { throw fail("tensor '\(name)': expected an object with dtype, shape and data_offsets") }
        if let extra = fields.keys.sorted().first(where: { !["dtype", "shape", "data_offsets"].contains($0) }) {
            throw fail("tensor '\(name)': unknown field '\(extra)' (expected dtype, shape and data_offsets)")
        }
        guard let typeName = fields["dtype"] as? String else { throw fail("tensor '\(name)': dtype missing or not a string") }
        guard let dataType = DataType(rawValue: typeName) else {
            throw fail("tensor '\(name)': dtype '\(typeName)' is not one this reader knows (\(DataType.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        func integers(_ key: String) throws -> [Int] {
            guard let list = fields[key] as? [Any] else { throw fail("tensor '\(name)': \(key) missing or not a list") }
            return try list.map { item in
                guard let number = item as? NSNumber, let integer = Int(exactly: number.doubleValue), integer >= 0 else {
                    throw fail("tensor '\(name)': \(key) holds \(item); expected non-negative integers")
                }
                return integer
            }
        }
        let shape = try integers("shape")
        guard shape.count <= maximumRank else { throw fail("tensor '\(name)': shape \(shape) has more than \(maximumRank) dimensions") }
        var count = 1
        for size in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: size)
            guard !overflow, product <= maximumElements else { throw fail("tensor '\(name)': shape \(shape) is too large") }
            count = product
        }
        let offsets = try integers("data_offsets")
        guard offsets.count == 2, offsets[0] <= offsets[1] else {
            throw fail("tensor '\(name)': data_offsets \(offsets); expected [begin, end] with begin ≤ end")
        }
        guard offsets[1] <= dataLength else {
            throw fail("tensor '\(name)': data_offsets \(offsets) reach past the \(dataLength) bytes of data")
        }
        guard offsets[1] - offsets[0] == count * dataType.size else {
            throw fail("tensor '\(name)': \(typeName) of shape \(shape) needs \(count * dataType.size) bytes, data_offsets \(offsets) give \(offsets[1] - offsets[0])")
        }
        return (dataType, shape, offsets[0]..<offsets[1])
    }
}

// MARK: - Writing

extension SafeTensors {
    /// The file's bytes, as the Python `safetensors` package writes them.
    public func encoded() throws -> [UInt8] {
        let order = entries.keys.sorted { a, b in
            let (x, y) = (entries[a]!.dataType.rank, entries[b]!.dataType.rank)
            return x != y ? x > y : Array(a.utf8).lexicographicallyPrecedes(Array(b.utf8))
        }
        var json = "{"
        var fields: [String] = []
        if !metadata.isEmpty {
            let pairs = metadata.keys.sorted().map { "\(Self.quoted($0)):\(Self.quoted(metadata[$0]!))" }
            fields.append("\"__metadata__\":{" + pairs.joined(separator: ",") + "}")
        }
        var offset = 0
        for name in order {
            let entry = entries[name]!
            guard entry.bytes.count == entry.count * entry.dataType.size else {
                throw fail("tensor '\(name)': \(entry.bytes.count) bytes for \(entry.dataType.rawValue) of shape \(entry.shape)")
            }
            let shape = entry.shape.map(String.init).joined(separator: ",")
            fields.append("\(Self.quoted(name)):{\"dtype\":\"\(entry.dataType.rawValue)\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(offset + entry.bytes.count)]}")
            offset += entry.bytes.count
        }
        json += fields.joined(separator: ",") + "}"
        var header = Array(json.utf8)
        header += [UInt8](repeating: UInt8(ascii: " "), count: (8 - header.count % 8) % 8)
        var bytes = withUnsafeBytes(of: UInt64(header.count).littleEndian, Array.init) + header
        bytes.reserveCapacity(bytes.count + offset)
        for name in order { bytes += entries[name]!.bytes }
        return bytes
    }

    /// Writes atomically (`AtomicFile`: a temporary file beside `url`, flushed, then renamed over
    /// it), so a kill or a power loss leaves the old file or the new one.
    public func write(to url: URL) throws {
        let bytes = try SafeTensors(entries: entries, metadata: metadata, source: url.path).encoded()
        do throws(AtomicFile.Failure) { try AtomicFile.write(Data(bytes), to: url) }
        catch { throw SafeTensorsError(file: error.path, problem: error.problem) }
    }

    /// A JSON string as serde_json writes it: `"` and `\` escaped, control characters as \n, \t,
    /// \r, \b, \f or \u00XX, everything else (non-ASCII included) as is.
    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
