/// Which micro-batches this rank computes: rank r of N owns micro-batches
/// ⌊r·S/N⌋ ..< ⌊(r+1)·S/N⌋ of S, a contiguous run, so its samples are one contiguous range of
/// the batch. Every rank owns at least one micro-batch (N ≤ S).
public struct MicroBatchOwnership {
    public let microBatches: MicroBatches
    public let group: ProcessGroup

    public init(microBatches: MicroBatches, group: ProcessGroup) {
        precondition(group.size <= microBatches.count,
                     "\(group.size) processes need at least as many micro-batches (budget.micro_batches is \(microBatches.count))")
        self.microBatches = microBatches
        self.group = group
    }

    /// The micro-batches rank `rank` owns.
    public func owned(by rank: Int) -> Range<Int> {
        let count = microBatches.count, size = group.size
        return (rank * count / size)..<((rank + 1) * count / size)
    }

    /// This rank's micro-batches.
    public var local: Range<Int> { owned(by: group.rank) }

    /// The sample ranges of this rank's micro-batches in a batch of `batchSize`, in order.
    public func localRanges(batchSize: Int) -> [Range<Int>] {
        let all = microBatches.ranges(batchSize: batchSize)
        return Array(all[clamped(local, to: all.count)])
    }

    /// The samples every rank computes, one contiguous range per rank.
    func sampleRanges(batchSize: Int) -> [Range<Int>] {
        let all = microBatches.ranges(batchSize: batchSize)
        return (0..<group.size).map { rank in
            let mine = clamped(owned(by: rank), to: all.count)
            return mine.isEmpty ? 0..<0 : all[mine.lowerBound].lowerBound..<all[mine.upperBound - 1].upperBound
        }
    }

    /// The micro-batch count of every rank (fewer than S when a batch is smaller than S).
    func microBatchCounts(batchSize: Int) -> [Int] {
        let available = microBatches.ranges(batchSize: batchSize).count
        return (0..<group.size).map { clamped(owned(by: $0), to: available).count }
    }

    /// `range` cut to the first `count` micro-batches (a batch smaller than S has fewer).
    private func clamped(_ range: Range<Int>, to count: Int) -> Range<Int> {
        min(range.lowerBound, count)..<min(range.upperBound, count)
    }
}
