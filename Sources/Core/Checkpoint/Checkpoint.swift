import Foundation

/// A saved state: named tensors plus JSON metadata, zstd-compressed in one file.
///
/// Layout before compression (format 2): the 8 bytes `TANDEMCK`, a little-endian UInt32 format
/// version, a UInt64 header length, a UInt32 CRC-32 of everything after it (header and data), the
/// JSON header (tensor names, shapes, offsets, the metadata and string attributes), then the raw
/// little-endian Float32 data. Reading checks the checksum and every header field — lengths,
/// shapes (non-negative, with a product that fits), offsets (non-negative, contiguous, exactly
/// covering the data), unique names — and throws a `CheckpointError` naming the file and the field,
/// never trapping on a damaged or crafted file. Files are written atomically (temporary file in the
/// same folder, flushed, then renamed), so a kill at any moment leaves either the old or the new
/// checkpoint; temporary files left by killed writers are removed by the next write.
public struct Checkpoint {
    public static let formatVersion: UInt32 = 2
    /// The first 8 bytes of every uncompressed payload.
    public static let magic = Array("TANDEMCK".utf8)
    /// Bytes before the JSON header: magic, version, header length, CRC-32.
    public static let prefixLength = 24
    /// The largest tensor (in elements) and tensor count a header may announce.
    static let maximumElements = 1 << 40
    static let maximumRank = 16

    public var tensors: [(name: String, tensor: Tensor)]
    public var metadata: Data
    /// Free-form strings stored with the checkpoint (a run stores what its recipe was, so a resume
    /// against a changed recipe can be refused with the difference).
    public var attributes: [String: String]

    public init(tensors: [(name: String, tensor: Tensor)], metadata: Data, attributes: [String: String] = [:]) {
        self.tensors = tensors
        self.metadata = metadata
        self.attributes = attributes
    }

    struct Header: Codable {
        struct Entry: Codable { var name: String; var shape: [Int]; var offset: Int }
        var entries: [Entry]
        var metadata: Data
        var attributes: [String: String]?
    }

    /// The tensors whose names start with `prefix`, with the prefix removed, as `Parameters`.
    public func parameters(prefix: String) -> Parameters {
        Parameters(tensors.filter { $0.name.hasPrefix(prefix) }.map { (String($0.name.dropFirst(prefix.count)), $0.tensor) })
    }

    public func encoded() throws -> Data {
        var entries: [Header.Entry] = []
        var offset = 0
        for (name, tensor) in tensors {
            entries.append(.init(name: name, shape: tensor.shape, offset: offset))
            offset += tensor.count
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let header = try encoder.encode(Header(entries: entries, metadata: metadata, attributes: attributes))
        var body = Data()
        body.reserveCapacity(header.count + offset * 4)
        body.append(header)
        for (_, tensor) in tensors {
            tensor.withUnsafeBufferPointer { body.append(UnsafeBufferPointer(start: UnsafeRawPointer($0.baseAddress!).assumingMemoryBound(to: UInt8.self), count: $0.count * 4)) }
        }
        let crc = body.withUnsafeBytes { CRC32.checksum($0) }
        var payload = Data(Checkpoint.magic)
        withUnsafeBytes(of: Checkpoint.formatVersion.littleEndian) { payload.append(contentsOf: $0) }
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { payload.append(contentsOf: $0) }
        withUnsafeBytes(of: crc.littleEndian) { payload.append(contentsOf: $0) }
        payload.append(body)
        return try Zstd.compress(payload)
    }

    /// Decodes a checkpoint whose uncompressed payload may hold at most `maximumSize` bytes: the
    /// size the zstd frame declares is checked against it before anything is allocated, so a small
    /// crafted file cannot expand to gigabytes before its checksum is looked at.
    public init(decoding compressed: Data, source: String, maximumSize: Int = Checkpoint.defaultMaximumSize) throws {
        func fail(_ problem: String) -> CheckpointError { CheckpointError(file: source, problem: problem) }
        let payload: Data
        do { payload = try Zstd.decompress(compressed, maximumSize: maximumSize) } catch { throw fail("not a readable checkpoint: \(error)") }
        guard payload.count >= 20, Array(payload.prefix(8)) == Checkpoint.magic else {
            throw fail("not a Tandem checkpoint (bad magic)")
        }
        func word<T: FixedWidthInteger>(_ range: Range<Int>, _: T.Type) -> T {
            payload.subdata(in: range).withUnsafeBytes { $0.loadUnaligned(as: T.self) }.littleEndian
        }
        let version = word(8..<12, UInt32.self)
        guard version == Checkpoint.formatVersion else {
            throw fail("format version \(version); this build reads version \(Checkpoint.formatVersion)"
                       + (version == 1 ? " (version 1 had no checksum; start the run afresh)" : ""))
        }
        guard payload.count >= Checkpoint.prefixLength else { throw fail("truncated prefix: \(payload.count) bytes") }
        let declaredHeader = word(12..<20, UInt64.self)
        guard declaredHeader <= UInt64(payload.count - Checkpoint.prefixLength) else {
            throw fail("header length \(declaredHeader) exceeds the \(payload.count - Checkpoint.prefixLength) bytes after the prefix")
        }
        let storedCRC = word(20..<24, UInt32.self)
        let actualCRC = payload.withUnsafeBytes { CRC32.checksum(UnsafeRawBufferPointer(rebasing: $0[Checkpoint.prefixLength...])) }
        guard storedCRC == actualCRC else {
            throw fail(String(format: "checksum mismatch: the file records %08x, its contents hash to %08x; the checkpoint is damaged", storedCRC, actualCRC))
        }
        let headerLength = Int(declaredHeader)
        let dataStart = Checkpoint.prefixLength + headerLength
        let header: Header
        do { header = try JSONDecoder().decode(Header.self, from: payload.subdata(in: Checkpoint.prefixLength..<dataStart)) }
        catch { throw fail("unreadable header: \(error)") }

        // Every entry: a unique name, a shape of bounded rank with non-negative dimensions and a
        // product that fits, and an offset exactly where the previous tensor ended.
        let dataElements = (payload.count - dataStart) / 4
        guard (payload.count - dataStart) % 4 == 0 else { throw fail("data section of \(payload.count - dataStart) bytes is not a whole number of Float32 values") }
        var names = Set<String>()
        var expectedOffset = 0
        var checked: [(entry: Header.Entry, count: Int)] = []
        for entry in header.entries {
            guard !entry.name.isEmpty, names.insert(entry.name).inserted else {
                throw fail("tensor name '\(entry.name)' is empty or appears twice")
            }
            guard entry.shape.count <= Checkpoint.maximumRank, entry.shape.allSatisfy({ $0 >= 0 }) else {
                throw fail("tensor '\(entry.name)' has shape \(entry.shape); expected at most \(Checkpoint.maximumRank) non-negative dimensions")
            }
            var count = 1
            for dimension in entry.shape {
                let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
                guard !overflow, product <= Checkpoint.maximumElements else { throw fail("tensor '\(entry.name)' has shape \(entry.shape), too large") }
                count = product
            }
            guard entry.offset == expectedOffset else {
                throw fail("tensor '\(entry.name)' has offset \(entry.offset), expected \(expectedOffset) (right after the previous tensor)")
            }
            guard count <= dataElements - expectedOffset else {
                throw fail("tensor '\(entry.name)' needs \(count) values at offset \(entry.offset); the data holds \(dataElements)")
            }
            expectedOffset += count
            checked.append((entry, count))
        }
        guard expectedOffset == dataElements else {
            throw fail("the header's tensors cover \(expectedOffset) values, the data holds \(dataElements)")
        }
        var tensors: [(name: String, tensor: Tensor)] = []
        payload.withUnsafeBytes { raw in
            for (entry, count) in checked {
                let start = dataStart + entry.offset * 4
                let tensor = Tensor(shape: entry.shape) { buffer in
                    if count > 0 { _ = memcpy(buffer.baseAddress!, raw.baseAddress! + start, count * 4) }
                }
                tensors.append((entry.name, tensor))
            }
        }
        self.init(tensors: tensors, metadata: header.metadata, attributes: header.attributes ?? [:])
    }

    /// Writes atomically (`AtomicFile`): a temporary file beside `url`, flushed, then renamed over
    /// it; temporary files of `url` left by writers that no longer run are removed afterwards.
    public func write(to url: URL) throws {
        let data = try encoded()
        do throws(AtomicFile.Failure) { try AtomicFile.write(data, to: url) }
        catch { throw CheckpointError(file: error.path, problem: error.problem) }
    }

    /// Removes `.NAME.PID.tmp` files beside `url` whose writer process no longer exists.
    @discardableResult
    public static func removeStaleTemporaryFiles(of url: URL) -> [String] {
        AtomicFile.removeStaleTemporaryFiles(of: url)
    }

    /// The bound on a checkpoint's uncompressed size when the reader knows no better: 16 GiB.
    public static let defaultMaximumSize = 1 << 34

    /// Reads `url`, refusing a payload of more than `maximumSize` bytes (see `init(decoding:)`).
    public static func read(from url: URL, maximumSize: Int = Checkpoint.defaultMaximumSize) throws -> Checkpoint {
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw CheckpointError(file: url.path, problem: "cannot read (\(FileProblem.reason(error)))") }
        return try Checkpoint(decoding: data, source: url.path, maximumSize: maximumSize)
    }
}

public struct CheckpointError: Error, CustomStringConvertible {
    public var file: String
    public var problem: String
    public init(file: String, problem: String) { self.file = file; self.problem = problem }
    public var description: String { "\(file): \(problem)" }
}
