/// How a training step splits its batch into micro-batches (`budget.micro_batches: S`).
///
/// A batch of n samples becomes S contiguous micro-batches in sample order (the sampler's batch
/// is already a seeded draw), sized ⌈n/S⌉ for the first n mod S and ⌊n/S⌋ for the rest. The
/// model runs on each micro-batch separately — batch norm normalises with that micro-batch's
/// statistics, and its running averages take one update per micro-batch, in order, as PyTorch's
/// gradient accumulation does — and a task's step loss is the sample-weighted sum of its
/// micro-batch losses, folded in micro-batch order:
///
///     L_t = Σ_s (n_s / n) · L_t(micro-batch s)
///
/// For a loss that is a mean over samples this is the full batch's loss; for the masked losses
/// (depth, normals, segmentation with ignored pixels) each micro-batch averages over its own
/// valid pixels. The representation z of the batch is the micro-batches' z joined along the
/// batch axis, so every per-task gradient a strategy asks for (at z, at the shared parameters,
/// of a lookahead) is one of the whole batch. S = 1 is the step without micro-batches, bit for bit.
///
/// Results depend on S (through the batch-norm statistics and the summation order), not on how
/// the micro-batches are computed.
public struct MicroBatches: Equatable, Codable, Sendable {
    /// S, the number of micro-batches per batch (≥ 1).
    public let count: Int

    public init(count: Int) {
        precondition(count >= 1, "a batch needs at least one micro-batch, got \(count)")
        self.count = count
    }

    /// Without micro-batches (S = 1).
    public static let none = MicroBatches(count: 1)

    /// The sample ranges of a batch of `batchSize` samples, in order. A batch with fewer samples
    /// than S (a small parallel-labelled set's batch; recipes cannot ask for `batch_size` < S) has
    /// one micro-batch per sample.
    public func ranges(batchSize: Int) -> [Range<Int>] {
        let parts = max(1, min(count, batchSize))
        let base = batchSize / parts, extra = batchSize % parts
        var ranges: [Range<Int>] = [], start = 0
        for index in 0..<parts {
            let size = base + (index < extra ? 1 : 0)
            ranges.append(start..<(start + size))
            start += size
        }
        return ranges
    }
}
