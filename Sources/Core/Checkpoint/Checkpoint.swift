import Foundation

/// A saved state: named tensors plus JSON metadata, zstd-compressed in one file.
///
/// Layout before compression: the 8 bytes `TANDEMCK`, a little-endian UInt32 format version, a
/// UInt64 header length, the JSON header (tensor names, shapes, offsets, and the metadata), then
/// the raw little-endian Float32 data. Files are written atomically (temporary file in the same
/// folder, then rename), so a kill at any moment leaves either the old or the new checkpoint.
public struct Checkpoint {
    public static let formatVersion: UInt32 = 1
    static let magic = Array("TANDEMCK".utf8)

    public var tensors: [(name: String, tensor: Tensor)]
    public var metadata: Data

    public init(tensors: [(name: String, tensor: Tensor)], metadata: Data) {
        self.tensors = tensors
        self.metadata = metadata
    }

    struct Header: Codable {
        struct Entry: Codable { var name: String; var shape: [Int]; var offset: Int }
        var entries: [Entry]
        var metadata: Data
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
        let header = try JSONEncoder().encode(Header(entries: entries, metadata: metadata))
        var payload = Data(Checkpoint.magic)
        withUnsafeBytes(of: Checkpoint.formatVersion.littleEndian) { payload.append(contentsOf: $0) }
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { payload.append(contentsOf: $0) }
        payload.append(header)
        payload.reserveCapacity(payload.count + offset * 4)
        for (_, tensor) in tensors {
            tensor.withUnsafeBufferPointer { payload.append(UnsafeBufferPointer(start: UnsafeRawPointer($0.baseAddress!).assumingMemoryBound(to: UInt8.self), count: $0.count * 4)) }
        }
        return try Zstd.compress(payload)
    }

    public init(decoding compressed: Data, source: String) throws {
        let payload: Data
        do { payload = try Zstd.decompress(compressed) } catch { throw CheckpointError(file: source, problem: "\(error)") }
        guard payload.count >= 20, Array(payload.prefix(8)) == Checkpoint.magic else {
            throw CheckpointError(file: source, problem: "not a Tandem checkpoint (bad magic)")
        }
        let version = payload.subdata(in: 8..<12).withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }.littleEndian
        guard version == Checkpoint.formatVersion else {
            throw CheckpointError(file: source, problem: "format version \(version), this build reads \(Checkpoint.formatVersion)")
        }
        let headerLength = Int(payload.subdata(in: 12..<20).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }.littleEndian)
        guard payload.count >= 20 + headerLength else { throw CheckpointError(file: source, problem: "truncated header") }
        let header: Header
        do { header = try JSONDecoder().decode(Header.self, from: payload.subdata(in: 20..<(20 + headerLength))) }
        catch { throw CheckpointError(file: source, problem: "unreadable header: \(error)") }
        let dataStart = 20 + headerLength
        var tensors: [(name: String, tensor: Tensor)] = []
        try payload.withUnsafeBytes { raw in
            for entry in header.entries {
                let count = Shape.count(entry.shape)
                let start = dataStart + entry.offset * 4
                guard start + count * 4 <= raw.count else { throw CheckpointError(file: source, problem: "truncated data for '\(entry.name)'") }
                let tensor = Tensor(shape: entry.shape) { buffer in
                    _ = memcpy(buffer.baseAddress!, raw.baseAddress! + start, count * 4)
                }
                tensors.append((entry.name, tensor))
            }
        }
        self.init(tensors: tensors, metadata: header.metadata)
    }

    /// Writes atomically: a temporary file beside `url`, flushed, then renamed over it.
    public func write(to url: URL) throws {
        let folder = url.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let temporary = folder.appendingPathComponent(".\(url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).tmp")
        let data = try encoded()
        guard FileManager.default.createFile(atPath: temporary.path, contents: nil) else {
            throw CheckpointError(file: temporary.path, problem: "cannot create file")
        }
        let handle = try FileHandle(forWritingTo: temporary)
        try handle.write(contentsOf: data)
        try handle.synchronize()
        try handle.close()
        if rename(temporary.path, url.path) != 0 {
            try? FileManager.default.removeItem(at: temporary)
            throw CheckpointError(file: url.path, problem: "cannot move the new checkpoint into place (errno \(errno))")
        }
    }

    public static func read(from url: URL) throws -> Checkpoint {
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw CheckpointError(file: url.path, problem: "cannot read: \(error.localizedDescription)") }
        return try Checkpoint(decoding: data, source: url.path)
    }
}

public struct CheckpointError: Error, CustomStringConvertible {
    public var file: String
    public var problem: String
    public var description: String { "\(file): \(problem)" }
}
