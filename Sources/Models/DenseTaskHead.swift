import TandemCore

/// One task of a dense-prediction (per-pixel) split model: its name, the channels its head
/// predicts at every pixel, and how the prediction layer's output is finished.
///
/// Examples: `DenseTaskHead(task: "segmentation", channels: 13)` (logits),
/// `DenseTaskHead(task: "depth", channels: 1)`,
/// `DenseTaskHead(task: "normals", channels: 3, output: .unitNormalised)`.
public struct DenseTaskHead: Equatable, Sendable {
    public var task: String
    public var channels: Int
    public var output: HeadOutput

    public init(task: String, channels: Int, output: HeadOutput = .raw) {
        precondition(channels > 0, "a head must predict at least one channel, got \(channels) for '\(task)'")
        self.task = task
        self.channels = channels
        self.output = output
    }

    /// The head a per-pixel task of `kind` needs: `kind.outputChannels` channels, unit-normalised
    /// for normals and raw otherwise; `nil` for kinds that are not per-pixel (classification,
    /// regression).
    public init?(task: String, kind: TaskKind) {
        switch kind {
        case .segmentation, .depth:
            self.init(task: task, channels: kind.outputChannels)
        case .normals:
            self.init(task: task, channels: kind.outputChannels, output: .unitNormalised)
        case .classification, .regression:
            return nil
        }
    }
}
