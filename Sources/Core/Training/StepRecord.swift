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

/// Appends JSON lines to a file, creating folders as needed.
final class JSONLinesWriter {
    private let handle: FileHandle
    private let encoder: JSONEncoder

    init(url: URL, truncatingTo offsetLines: Int? = nil) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        if !FileManager.default.fileExists(atPath: url.path) {
            FileManager.default.createFile(atPath: url.path, contents: nil)
        }
        if let offsetLines {
            // Keep only the first `offsetLines` records (a resumed run rewrites what follows).
            let text = (try? String(contentsOf: url, encoding: .utf8)) ?? ""
            let kept = text.split(separator: "\n", omittingEmptySubsequences: true).prefix(offsetLines)
            try (kept.joined(separator: "\n") + (kept.isEmpty ? "" : "\n")).write(to: url, atomically: true, encoding: .utf8)
        }
        handle = try FileHandle(forWritingTo: url)
        handle.seekToEndOfFile()
        encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
    }

    func write<T: Encodable>(_ value: T) throws {
        var data = try encoder.encode(value)
        data.append(0x0A)
        handle.write(data)
    }

    deinit { try? handle.close() }
}
