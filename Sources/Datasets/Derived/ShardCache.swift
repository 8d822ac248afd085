import Dispatch
import Foundation
import TandemCore

/// A data set cached on disk as zstd-compressed shards of consecutive examples.
///
/// Shard `k` holds examples `k·shardSize ..< (k+1)·shardSize` of the source as little-endian
/// Float32 records (input, then each task's label in task order). A shard file is
///
///     "TANDEMSH" | version UInt32 | header length UInt32 | JSON header | zstd frame
///
/// where the header records the cache key, the example range, the shapes, the uncompressed size
/// and the CRC-32 of the uncompressed payload. Reading verifies the key, the shapes and the
/// checksum and throws a `DatasetError` naming the file when anything differs. Shards are written
/// atomically (temporary file, then rename), so an interrupted build never leaves a half shard.
///
/// `example(at:)` builds a missing shard on first use; `prepare()` builds every missing or damaged
/// shard up front (in parallel). Decoded shards are kept in memory (the two most recent).
public final class ShardCache: MultiTaskDataset, @unchecked Sendable {
    public let source: any MultiTaskDataset
    /// Identifies the source's content (e.g. `SyntheticScenes.cacheKey`); a shard written under
    /// another key is rejected.
    public let key: String
    /// The folder holding this key's shards.
    public let directory: URL
    public let shardSize: Int
    public var name: String { source.name }
    public var count: Int { source.count }
    public var inputShape: [Int] { source.inputShape }
    public var tasks: [TaskSpec] { source.tasks }
    public var trueTaskGroups: [[String]]? { source.trueTaskGroups }

    /// Each task's per-sample label shape, in `tasks` order (checked once when the cache is made).
    private let labelShapes: [[Int]]
    private let lock = NSLock()
    private var decoded: [(shard: Int, records: [Float])] = []

    /// A cache of `source` under `root` (shards go to a sub-folder named after a hash of `key`).
    public init(source: any MultiTaskDataset, root: URL, key: String, shardSize: Int = 256) throws {
        guard shardSize > 0 else { throw DatasetError.invalidArgument("shard size must be > 0, got \(shardSize)") }
        self.source = source
        self.key = key
        self.shardSize = shardSize
        self.labelShapes = try source.tasks.map { try source.labelShape(of: $0) }
        self.directory = root.appendingPathComponent("\(source.name)-\(String(format: "%016llx", Self.fnv1a(key)))")
    }

    /// The number of shards.
    public var shardCount: Int { (count + shardSize - 1) / shardSize }

    /// The file of shard `shard`.
    public func url(ofShard shard: Int) -> URL {
        directory.appendingPathComponent(String(format: "shard-%05d.tshard", shard))
    }

    /// Floats per example record.
    private var recordLength: Int {
        inputShape.reduce(1, *) + labelShapes.reduce(0) { $0 + $1.reduce(1, *) }
    }

    /// Builds every shard that is missing or fails verification, `threads` shards at a time.
    /// Returns the shards (re)built.
    @discardableResult
    public func prepare(threads: Int = 2) throws -> [Int] {
        let needed = (0..<shardCount).filter { (try? readShard($0)) == nil }
        let errors = UnsafeMutableBufferPointer<Error?>.allocate(capacity: max(needed.count, 1))
        errors.initialize(repeating: nil)
        defer { errors.deallocate() }
        let workers = max(1, min(threads, needed.count))
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            var position = worker
            while position < needed.count {
                do { try self.writeShard(needed[position]) } catch { errors[position] = error }
                position += workers
            }
        }
        if let error = errors.compactMap({ $0 }).first { throw error }
        return needed
    }

    public func example(at index: Int) throws -> Example {
        try checkIndex(index)
        let shard = index / shardSize
        let records = try records(ofShard: shard)
        let length = recordLength
        var offset = (index - shard * shardSize) * length
        func take(_ shape: [Int]) -> FloatArray {
            let n = shape.reduce(1, *)
            defer { offset += n }
            return FloatArray(shape: shape, scalars: Array(records[offset..<(offset + n)]))
        }
        let input = take(inputShape)
        var targets: [String: FloatArray] = [:]
        for (task, shape) in zip(tasks, labelShapes) { targets[task.name] = take(shape) }
        return Example(input: input, targets: targets)
    }

    private func records(ofShard shard: Int) throws -> [Float] {
        lock.lock()
        if let hit = decoded.first(where: { $0.shard == shard }) {
            lock.unlock()
            return hit.records
        }
        lock.unlock()
        let records: [Float]
        if FileManager.default.fileExists(atPath: url(ofShard: shard).path) {
            records = try readShard(shard)
        } else {
            records = try writeShard(shard)
        }
        lock.lock()
        decoded.append((shard, records))
        if decoded.count > 2 { decoded.removeFirst() }
        lock.unlock()
        return records
    }

    private struct Header: Codable, Equatable {
        var key: String
        var firstIndex: Int
        var count: Int
        var inputShape: [Int]
        var taskNames: [String]
        var taskShapes: [[Int]]
        var uncompressedBytes: Int
        var crc32: UInt32
    }

    private static let magic = Array("TANDEMSH".utf8)

    private func expectedHeader(shard: Int) -> Header {
        let first = shard * shardSize
        let n = min(shardSize, count - first)
        return Header(key: key, firstIndex: first, count: n, inputShape: inputShape, taskNames: tasks.map(\.name),
                      taskShapes: labelShapes, uncompressedBytes: n * recordLength * 4, crc32: 0)
    }

    /// Renders shard `shard` from the source and writes it; returns its records.
    @discardableResult
    private func writeShard(_ shard: Int) throws -> [Float] {
        var header = expectedHeader(shard: shard)
        var records: [Float] = []
        records.reserveCapacity(header.count * recordLength)
        for index in header.firstIndex..<(header.firstIndex + header.count) {
            let example = try source.example(at: index)
            records += example.input.scalars
            for (task, shape) in zip(tasks, labelShapes) {
                guard let target = example.targets[task.name], target.shape == shape else {
                    throw DatasetError.invalidArgument("\(name): example \(index) lacks a \(shape) label for task \(task.name)")
                }
                records += target.scalars
            }
        }
        let payload = records.withUnsafeBytes { Array($0) }
        header.crc32 = Checksum.crc32(payload)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let headerBytes = Array(try encoder.encode(header))
        var file = Self.magic
        file += littleEndian(1) + littleEndian(UInt32(headerBytes.count)) + headerBytes
        do { file += [UInt8](try TandemCore.Zstd.compress(payload)) }
        catch { throw DatasetError.unwritable(path: url(ofShard: shard).path, reason: "\(error)") }
        try writeFileAtomically(Data(file), to: url(ofShard: shard))
        return records
    }

    /// Reads and verifies shard `shard`.
    private func readShard(_ shard: Int) throws -> [Float] {
        let url = url(ofShard: shard)
        let bytes = [UInt8](try readFileData(url))
        guard bytes.count >= 16, Array(bytes[0..<8]) == Self.magic else {
            throw DatasetError.badHeader(path: url.path, expected: "a Tandem cache shard (magic TANDEMSH)", found: "\(bytes.count) bytes of something else")
        }
        let version = readLittleEndian(bytes, at: 8), headerLength = Int(readLittleEndian(bytes, at: 12))
        guard version == 1 else {
            throw DatasetError.badHeader(path: url.path, expected: "shard format version 1", found: "version \(version)")
        }
        guard bytes.count >= 16 + headerLength else {
            throw DatasetError.truncated(path: url.path, expectedBytes: 16 + headerLength, foundBytes: bytes.count)
        }
        let header: Header
        do {
            header = try JSONDecoder().decode(Header.self, from: Data(bytes[16..<(16 + headerLength)]))
        } catch {
            throw DatasetError.badHeader(path: url.path, expected: "a JSON shard header", found: "undecodable header (\(error))")
        }
        var expected = expectedHeader(shard: shard)
        expected.crc32 = header.crc32
        guard header == expected else {
            throw DatasetError.badHeader(path: url.path, expected: "shard \(shard) of key '\(key)' with \(expected.count) examples",
                                         found: "key '\(header.key)', examples \(header.firstIndex)..<\(header.firstIndex + header.count)")
        }
        let payload: [UInt8]
        do { payload = [UInt8](try TandemCore.Zstd.decompress(bytes[(16 + headerLength)...], expectedSize: header.uncompressedBytes)) }
        catch { throw DatasetError.invalidValue(path: url.path, reason: "the shard's zstd data is damaged (\(error))") }
        let crc = Checksum.crc32(payload)
        guard crc == header.crc32 else {
            throw DatasetError.checksumMismatch(path: url.path, expected: header.crc32, found: crc)
        }
        return payload.withUnsafeBytes { raw in
            (0..<(payload.count / 4)).map { raw.loadUnaligned(fromByteOffset: 4 * $0, as: Float.self) }
        }
    }

    static func fnv1a(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        return hash
    }
}

private func littleEndian(_ value: UInt32) -> [UInt8] {
    [UInt8(value & 0xFF), UInt8((value >> 8) & 0xFF), UInt8((value >> 16) & 0xFF), UInt8(value >> 24)]
}

private func readLittleEndian(_ bytes: [UInt8], at offset: Int) -> UInt32 {
    UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 3]) << 24
}
