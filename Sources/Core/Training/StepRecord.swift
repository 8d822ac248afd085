import Foundation

/// What happened in one training step, written as one JSON line.
public struct StepRecord: Codable, Equatable, Sendable {
    public var step: Int
    public var epoch: Int
    public var batchKind: BatchKind
    public var losses: [String: Double]
    /// ∂D/∂L_t: each task's weight in the decoder loss.
    public var decoderWeights: [String: Double]
    /// The encoder stage's loss weights, when it expressed itself as weights.
    public var encoderWeights: [String: Double]?
    /// ‖h_t‖ at the representation, when per-task gradients were computed.
    public var representationGradientNorms: [String: Double]?
    /// ‖gradient‖ of the shared parameters after combination.
    public var sharedGradientNorm: Double
    public var learningRates: [String: Double]
    /// Strategy-specific numbers (`StepContext.report`).
    public var reports: [String: Double]
    public var seconds: Double
}

/// Appends JSON lines to a file, creating folders as needed. Every failure — a folder that cannot
/// be made, a full disk — throws a `RecordsError` naming the file and the reason.
final class JSONLinesWriter {
    private let url: URL
    private let handle: FileHandle
    private let encoder: JSONEncoder

    init(url: URL, truncatingTo offsetLines: Int? = nil) throws {
        self.url = url
        func fail(_ what: String, _ error: Error) -> RecordsError {
            RecordsError(file: url.path, problem: "\(what) (\(FileProblem.reason(error)))")
        }
        do { try FileProblem.makeFolder(url.deletingLastPathComponent()) }
        catch { throw RecordsError(file: url.path, problem: "cannot create its folder (\(error))") }
        if !FileManager.default.fileExists(atPath: url.path) {
            guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
                throw RecordsError(file: url.path, problem: "cannot create the file (\(String(cString: strerror(errno))))")
            }
        }
        if let offsetLines {
            // Keep only the first `offsetLines` records (a resumed run rewrites what follows).
            let text = (try? String(contentsOf: url, encoding: .utf8)) ?? ""
            let lines = text.split(separator: "\n", omittingEmptySubsequences: true)
            if lines.count > offsetLines || (!text.isEmpty && !text.hasSuffix("\n")) {
                let kept = lines.prefix(offsetLines)
                do { try (kept.joined(separator: "\n") + (kept.isEmpty ? "" : "\n")).write(to: url, atomically: true, encoding: .utf8) }
                catch { throw fail("cannot rewrite the records kept for a resumed run", error) }
            }
        }
        do {
            handle = try FileHandle(forWritingTo: url)
            try handle.seekToEnd()
        } catch { throw fail("cannot open the file for appending", error) }
        encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
    }

    func write<T: Encodable>(_ value: T) throws {
        var data = try encoder.encode(value)
        data.append(0x0A)
        do { try handle.write(contentsOf: data) }
        catch { throw RecordsError(file: url.path, problem: "cannot append a record (\(FileProblem.reason(error)))") }
    }

    deinit { try? handle.close() }
}

/// Writing the per-step records failed (a full disk, a missing permission).
public struct RecordsError: Error, CustomStringConvertible {
    public var file: String
    public var problem: String
    public var description: String { "\(file): \(problem)" }
}
