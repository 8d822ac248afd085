import TandemCore

/// Seeded mini-batch index sampling over a fixed list of data-set indices.
///
/// Epoch `e` visits the indices in the order of a permutation drawn from a generator derived from
/// (`seed`, `e`) — so any epoch, and any step, can be produced directly (resuming from a checkpoint
/// needs only the step number). Step-based use treats training as an endless run of epochs.
public struct BatchSampler: Equatable, Sendable, Codable {
    /// The data-set indices sampled from.
    public let indices: [Int]
    public let batchSize: Int
    public let shuffle: Bool
    /// Whether a final smaller batch is dropped (it always is in step-based use when the index
    /// count is not a multiple of the batch size — each epoch has `batchesPerEpoch` full batches).
    public let dropLast: Bool
    public let seed: UInt64

    public init(indices: [Int], batchSize: Int, shuffle: Bool = true, dropLast: Bool = false, seed: UInt64) throws {
        guard batchSize > 0 else { throw DatasetError.invalidArgument("batch size must be > 0, got \(batchSize)") }
        guard !indices.isEmpty else { throw DatasetError.invalidArgument("a batch sampler needs at least one index") }
        guard !dropLast || indices.count >= batchSize else {
            throw DatasetError.invalidArgument("\(indices.count) indices make no full batch of \(batchSize) with dropLast")
        }
        self.indices = indices
        self.batchSize = batchSize
        self.shuffle = shuffle
        self.dropLast = dropLast
        self.seed = seed
    }

    /// The number of batches in one epoch.
    public var batchesPerEpoch: Int {
        dropLast ? indices.count / batchSize : (indices.count + batchSize - 1) / batchSize
    }

    /// The order in which epoch `epoch` visits the indices.
    public func order(epoch: Int) -> [Int] {
        guard shuffle else { return indices }
        var generator = SeedDerivation.generator(seed, index: epoch, salt: .shuffle)
        return seededPermutation(indices.count, generator: &generator).map { indices[$0] }
    }

    /// The batches of epoch `epoch`.
    public func batches(epoch: Int) -> [[Int]] {
        let order = self.order(epoch: epoch)
        return (0..<batchesPerEpoch).map { b in Array(order[(b * batchSize)..<min((b + 1) * batchSize, order.count)]) }
    }

    /// The batch of global step `step` (epoch `step / batchesPerEpoch`, batch `step % batchesPerEpoch`).
    public func batch(atStep step: Int) -> [Int] {
        let perEpoch = batchesPerEpoch
        let epoch = step / perEpoch, position = step % perEpoch
        let order = self.order(epoch: epoch)
        return Array(order[(position * batchSize)..<min((position + 1) * batchSize, order.count)])
    }
}

/// The TMT / k-alternation schedule: every step draws a batch from the auxiliary set; every `period`-th
/// step (steps period−1, 2·period−1, …) also draws a batch from the parallel set. The two sets have
/// their own samplers and step counters, so the streams are independent and reproducible.
public struct AlternatingSampler: Equatable, Sendable, Codable {
    public let auxiliary: BatchSampler
    public let parallel: BatchSampler
    public let period: Int

    /// One step's draws.
    public struct Draws: Equatable, Sendable {
        /// The auxiliary-set batch (auxiliary labels only).
        public let auxiliary: [Int]
        /// The parallel-set batch on every `period`-th step, else nil.
        public let parallel: [Int]?
    }

    public init(auxiliary: BatchSampler, parallel: BatchSampler, period: Int) throws {
        guard period >= 1 else { throw DatasetError.invalidArgument("the alternation period k must be ≥ 1, got \(period)") }
        self.auxiliary = auxiliary
        self.parallel = parallel
        self.period = period
    }

    /// Samplers for both sets of `availability` with one batch size and seed (the parallel sampler's
    /// seed is derived so the two shuffles differ).
    public init(availability: LabelAvailability, batchSize: Int, period: Int, seed: UInt64) throws {
        try self.init(auxiliary: BatchSampler(indices: availability.indices(for: .auxiliary), batchSize: batchSize, seed: seed),
                      parallel: BatchSampler(indices: availability.indices(for: .parallel), batchSize: batchSize,
                                             seed: SeedDerivation.seed(seed, index: 1, salt: SeedDerivation.Salt.shuffle.rawValue)),
                      period: period)
    }

    /// Whether step `step` includes a parallel batch.
    public func drawsParallel(atStep step: Int) -> Bool { (step + 1) % period == 0 }

    /// The draws of step `step`.
    public func draws(atStep step: Int) -> Draws {
        Draws(auxiliary: auxiliary.batch(atStep: step),
              parallel: drawsParallel(atStep: step) ? parallel.batch(atStep: (step + 1) / period - 1) : nil)
    }
}
