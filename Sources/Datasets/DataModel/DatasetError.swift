import Foundation
import TandemCore

/// An error raised while reading, writing or assembling a dataset.
///
/// Every case names the file (or data set) involved and says what was expected, so a researcher can
/// fix the data without reading Tandem's source. Readers never crash on bad input; they throw this.
public enum DatasetError: Error, CustomStringConvertible, Equatable {
    /// The file could not be opened or read at all.
    case unreadable(path: String, reason: String)
    /// The file could not be written.
    case unwritable(path: String, reason: String)
    /// The file's header is not what the format requires.
    case badHeader(path: String, expected: String, found: String)
    /// The file ends before the data its header announces.
    case truncated(path: String, expectedBytes: Int, foundBytes: Int)
    /// The array's shape is not the one the caller needs.
    case shapeMismatch(path: String, expected: String, found: [Int])
    /// The array's element type is not one the caller accepts.
    case dtypeMismatch(path: String, expected: String, found: String)
    /// A stored checksum does not match the data (a damaged cache shard, for instance).
    case checksumMismatch(path: String, expected: UInt32, found: UInt32)
    /// A value is out of its allowed range (a label ≥ the class count, for instance).
    case invalidValue(path: String, reason: String)
    /// A requested option or index makes no sense for this data set.
    case invalidArgument(String)

    public var description: String {
        switch self {
        case let .unreadable(path, reason):
            return "\(path): cannot read the file (\(reason))"
        case let .unwritable(path, reason):
            return "\(path): cannot write the file (\(reason))"
        case let .badHeader(path, expected, found):
            return "\(path): bad header: expected \(expected), found \(found)"
        case let .truncated(path, expectedBytes, foundBytes):
            return "\(path): file is truncated: expected \(expectedBytes) bytes of data, found \(foundBytes)"
        case let .shapeMismatch(path, expected, found):
            return "\(path): shape mismatch: expected \(expected), found \(found)"
        case let .dtypeMismatch(path, expected, found):
            return "\(path): element type mismatch: expected \(expected), found \(found)"
        case let .checksumMismatch(path, expected, found):
            return "\(path): checksum mismatch: the header records \(String(format: "%08x", expected)) "
                + "but the data hashes to \(String(format: "%08x", found)); the file is damaged — delete it to rebuild"
        case let .invalidValue(path, reason):
            return "\(path): invalid value: \(reason)"
        case let .invalidArgument(reason):
            return "invalid argument: \(reason)"
        }
    }
}

extension DatasetError: LocalizedError {
    public var errorDescription: String? { description }
}

/// Reads a whole file, turning failures into `DatasetError.unreadable` that names the path.
func readFileData(_ url: URL) throws -> Data {
    do {
        return try Data(contentsOf: url)
    } catch {
        let reason = FileManager.default.fileExists(atPath: url.path) ? error.localizedDescription : "no such file"
        throw DatasetError.unreadable(path: url.path, reason: reason)
    }
}

/// Writes `data` atomically (`AtomicFile`: a temporary file beside `url`, flushed, then renamed
/// over it), so readers never see a half-written file even if the process dies mid-write.
func writeFileAtomically(_ data: Data, to url: URL) throws {
    do throws(AtomicFile.Failure) { try AtomicFile.write(data, to: url) }
    catch { throw DatasetError.unwritable(path: error.path, reason: error.problem) }
}
