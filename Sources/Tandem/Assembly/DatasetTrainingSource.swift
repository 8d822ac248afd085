import Foundation
import TandemCore
import TandemDatasets

/// Feeds a trainer from a `MultiTaskDataset`: seeded epoch samplers over the training split (or,
/// in the limited-parallel-label setting, over the auxiliary set X^A and the parallel set X),
/// fixed-order evaluation batches (never augmented), and a checkpointable position (how many
/// batches of each kind were drawn), so a resumed run draws exactly the batches an uninterrupted
/// one would.
///
/// Training batches are assembled on a background thread by a bounded `Prefetcher` (one per batch
/// kind in use, at most `prefetchCapacity` batches ahead), so reading and decoding files overlaps
/// the trainer's step. Batch n of a kind is a pure function of (seed, kind, n) — its augmentation
/// (`DatasetBundle.trainingAugmentation`) included — so the numbers never depend on timing or on
/// whether prefetching is on, and a resume reproduces them.
///
/// Bad data never crashes a run. The evaluation splits are read in full when the source is made,
/// so their problems are thrown from `init`. A training batch that cannot be assembled (a damaged
/// file met at step 5,000) is recorded in `failure`, naming the file, and the trainer is handed a
/// placeholder batch of the right shapes for that one step; `Experiment` checks `failure` after
/// every step, before any checkpoint is written, and stops the run with that error, so nothing
/// computed from the placeholder is kept.
public final class DatasetTrainingSource: TrainingDataSource {
    public let bundle: DatasetBundle
    public let availability: LabelAvailability?
    public let batchSize: Int
    public let evaluationBatchSize: Int
    /// Training batches prepared ahead per kind (0 assembles every batch on the trainer's thread).
    public let prefetchCapacity: Int
    /// The first error met while assembling a training batch; once set, the run must stop.
    public private(set) var failure: Error?
    private let full: BatchSampler
    private let auxiliary: BatchSampler?
    private let parallel: BatchSampler?
    private var drawn: [BatchKind: Int] = [:]
    private var streams: [BatchKind: Prefetcher<Batch>] = [:]
    private let evaluation: [EvaluationSplit: [Batch]]
    private let placeholder: Batch

    public init(bundle: DatasetBundle, availability: LabelAvailability?,
                batchSize: Int, evaluationBatchSize: Int, seed: UInt64, prefetchCapacity: Int = 2) throws {
        try bundle.validate()
        guard batchSize >= 1, evaluationBatchSize >= 1 else {
            throw DatasetError.invalidArgument("batch sizes must be at least 1 (training \(batchSize), evaluation \(evaluationBatchSize))")
        }
        self.bundle = bundle
        self.availability = availability
        self.batchSize = batchSize
        self.evaluationBatchSize = evaluationBatchSize
        self.prefetchCapacity = max(0, prefetchCapacity)
        let size = min(batchSize, bundle.trainingIndices.count)
        full = try BatchSampler(indices: bundle.trainingIndices, batchSize: size, shuffle: true, dropLast: true, seed: seed)
        if let availability {
            guard !availability.parallelIndices.isEmpty else {
                throw DatasetError.invalidArgument("\(bundle.training.name): the parallel-labelled set is empty")
            }
            auxiliary = try BatchSampler(indices: availability.trainingIndices, batchSize: size, shuffle: true, dropLast: true, seed: seed &+ 1)
            parallel = try BatchSampler(indices: availability.parallelIndices, batchSize: min(size, availability.parallelIndices.count),
                                        shuffle: true, dropLast: true, seed: seed &+ 2)
        } else {
            auxiliary = nil
            parallel = nil
        }
        var evaluation: [EvaluationSplit: [Batch]] = [:]
        for split in EvaluationSplit.allCases {
            let (dataset, indices) = split == .validation ? (bundle.validation, bundle.validationIndices) : (bundle.test, bundle.testIndices)
            evaluation[split] = try stride(from: 0, to: indices.count, by: evaluationBatchSize).map {
                try Self.assemble(dataset, indices: Array(indices[$0..<min(indices.count, $0 + evaluationBatchSize)]),
                                  availability: nil, source: nil)
            }
        }
        self.evaluation = evaluation
        placeholder = try Self.placeholder(for: bundle.training, size: size)
    }

    deinit { for stream in streams.values { stream.stop() } }

    public var stepsPerEpoch: Int { (auxiliary ?? full).batchesPerEpoch }

    /// The sampler and label set behind each kind of batch.
    private func sampling(_ kind: BatchKind) -> (BatchSampler, LabelSource?) {
        switch kind {
        case .full: return (full, nil)
        case .auxiliaryOnly: return (auxiliary ?? full, availability == nil ? nil : .auxiliary)
        case .parallel: return (parallel ?? full, availability == nil ? nil : .parallel)
        }
    }

    /// Batch `position` of `kind` (pure: the same batch whenever and on whichever thread it is built).
    private func produce(_ kind: BatchKind, at position: Int) throws -> Batch {
        let (sampler, source) = sampling(kind)
        return try Self.trainingBatch(bundle.training, sampler: sampler, position: position, availability: availability, source: source,
                                      augmentation: bundle.trainingAugmentation)
    }

    /// Training batch `position` drawn by `sampler`, each sample augmented (when `augmentation` is
    /// set) with the generator of (the sampler's seed, `position`, its slot): no state beyond the
    /// position, which the checkpoint keeps.
    static func trainingBatch(_ dataset: any MultiTaskDataset, sampler: BatchSampler, position: Int, availability: LabelAvailability?,
                              source: LabelSource?, augmentation: DenseAugmentation?) throws -> Batch {
        let tasks = dataset.tasks
        let transform = augmentation.map { augmentation in
            { (slot: Int, example: Example) throws -> Example in
                var generator = DenseAugmentation.generator(seed: sampler.seed, position: position, slot: slot)
                return try augmentation.apply(to: example, tasks: tasks, generator: &generator)
            }
        }
        return try SampleBatch(dataset: dataset, indices: sampler.batch(atStep: position), availability: source == nil ? nil : availability,
                               source: source, transform: transform).trainingBatch
    }

    public func nextBatch(_ kind: BatchKind) -> Batch {
        let position = drawn[kind, default: 0]
        drawn[kind] = position + 1
        guard failure == nil else { return placeholder }
        do {
            if prefetchCapacity == 0 { return try produce(kind, at: position) }
            let stream: Prefetcher<Batch>
            if let existing = streams[kind] {
                stream = existing
            } else {
                // Items are positions position, position + 1, …; `produce` is pure, so the stream
                // may run ahead without changing anything but the wall-clock time.
                let (sampler, source) = sampling(kind)
                let (dataset, availability, augmentation) = (bundle.training, self.availability, bundle.trainingAugmentation)
                stream = Prefetcher(capacity: prefetchCapacity) { offset in
                    try Self.trainingBatch(dataset, sampler: sampler, position: position + offset, availability: availability, source: source,
                                           augmentation: augmentation)
                }
                streams[kind] = stream
            }
            guard let batch = try stream.next() else {
                throw DatasetError.invalidArgument("\(bundle.training.name): the batch stream stopped early")
            }
            return batch
        } catch {
            failure = error
            stopStreams()
            return placeholder
        }
    }

    public func evaluationBatches(_ split: EvaluationSplit) -> [Batch] { evaluation[split] ?? [] }

    /// Assembles one batch, keeping only the tasks it has labels for.
    static func assemble(_ dataset: any MultiTaskDataset, indices: [Int], availability: LabelAvailability?,
                         source: LabelSource?) throws -> Batch {
        try SampleBatch(dataset: dataset, indices: indices, availability: source == nil ? nil : availability, source: source).trainingBatch
    }

    /// A batch of the data set's shapes with every task labelled by a valid constant (class 0,
    /// depth 1, normal (0, 0, 1), regression 0) — only ever trained on for the one step after which
    /// the run stops.
    static func placeholder(for dataset: any MultiTaskDataset, size: Int) throws -> Batch {
        var targets: [String: Tensor] = [:]
        for task in dataset.tasks {
            let labelShape = try dataset.labelShape(of: task)
            let shape = [size] + labelShape
            switch task.kind {
            case .classification, .segmentation, .regression: targets[task.name] = Tensor.zeros(shape)
            case .depth: targets[task.name] = Tensor(shape: shape, scalars: [Float](repeating: 1, count: shape.reduce(1, *)))
            case .normals:
                let plane = labelShape.dropFirst().reduce(1, *)
                var scalars = [Float](repeating: 0, count: shape.reduce(1, *))
                for sample in 0..<size { for p in 0..<plane { scalars[(sample * 3 + 2) * plane + p] = 1 } }
                targets[task.name] = Tensor(shape: shape, scalars: scalars)
            }
        }
        return Batch(input: Tensor.zeros([size] + dataset.inputShape), targets: targets)
    }

    private func stopStreams() {
        for stream in streams.values { stream.stop() }
        streams = [:]
    }

    public func saveState() -> StrategyState {
        StrategyState(words: Dictionary(uniqueKeysWithValues: drawn.map { ("drawn.\($0.key.rawValue)", [UInt64($0.value)]) }))
    }

    public func restoreState(_ state: StrategyState) throws {
        var restored: [BatchKind: Int] = [:]
        for kind in [BatchKind.full, .auxiliaryOnly, .parallel] {
            guard let words = state.words["drawn.\(kind.rawValue)"] else { continue }
            guard words.count == 1, let count = Int(exactly: words[0]), count <= 1 << 40 else {
                throw CheckpointError(file: "checkpoint", problem: "data state 'drawn.\(kind.rawValue)' is \(words), expected one batch count")
            }
            restored[kind] = count
        }
        stopStreams()
        drawn = restored
        failure = nil
    }
}
