/// The processes one training run spans (MPI's ranks), and the one exchange the micro-batch
/// collectives need: every rank's values, in rank order.
///
/// Every rank runs the same program on the same data (SPMD); a rank computes only the
/// micro-batches it owns (`MicroBatchOwnership`), and the collectives bring their results together
/// so that every rank holds the same replicated values.
public protocol ProcessGroup: AnyObject {
    /// This process's index, 0 ..< size.
    var rank: Int { get }
    /// The number of processes.
    var size: Int { get }
    /// Every rank's `values` (counts may differ between ranks), in rank order. Every rank must
    /// call it, in the same order as every other collective.
    func allGather(_ values: [Float]) -> [[Float]]
    /// The same for doubles (the Gram matrix's products).
    func allGather(_ values: [Double]) -> [[Double]]
    /// `parts[r]` to rank r; returns what each rank sent to this one, in rank order.
    func allToAll(_ parts: [[Float]]) -> [[Float]]
    /// Waits until every rank gets here (after rank 0 wrote a file the others read next).
    func barrier()
}

extension ProcessGroup {
    /// Whether this is the rank that writes the run's files (records, checkpoints, results).
    public var isWriter: Bool { rank == 0 }
}

/// A run in one process.
public final class SingleProcess: ProcessGroup {
    public let rank = 0, size = 1
    public init() {}
    public func allGather(_ values: [Float]) -> [[Float]] { [values] }
    public func allGather(_ values: [Double]) -> [[Double]] { [values] }
    public func allToAll(_ parts: [[Float]]) -> [[Float]] { parts }
    public func barrier() {}
}
