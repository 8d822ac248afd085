import TandemCore
import TandemDatasets

/// The three splits of a data set, each a data set and the indices used from it (NYUv2's
/// validation and test both come from its official test folder, for example).
public struct DatasetBundle {
    public var training: any MultiTaskDataset
    public var trainingIndices: [Int]
    public var validation: any MultiTaskDataset
    public var validationIndices: [Int]
    public var test: any MultiTaskDataset
    public var testIndices: [Int]

    public init(training: any MultiTaskDataset, trainingIndices: [Int], validation: any MultiTaskDataset, validationIndices: [Int],
                test: any MultiTaskDataset, testIndices: [Int]) {
        self.training = training; self.trainingIndices = trainingIndices
        self.validation = validation; self.validationIndices = validationIndices
        self.test = test; self.testIndices = testIndices
    }

    /// One data set split by `splits`.
    public init(dataset: any MultiTaskDataset, splits: DatasetSplits) {
        self.init(training: dataset, trainingIndices: splits.train, validation: dataset, validationIndices: splits.validation,
                  test: dataset, testIndices: splits.test)
    }

    public var tasks: [TaskTarget] { training.tasks }
    public var inputShape: [Int] { training.inputShape }
}

/// Feeds a trainer from a `MultiTaskDataset`: seeded epoch samplers over the training split (or,
/// in the limited-parallel-label setting, over the auxiliary set X^A and the parallel set X),
/// fixed-order evaluation batches, and a checkpointable position (how many batches of each kind
/// were drawn), so a resumed run draws exactly the batches an uninterrupted one would.
public final class DatasetTrainingSource: TrainingDataSource {
    public let bundle: DatasetBundle
    public let availability: LabelAvailability?
    public let batchSize: Int
    public let evaluationBatchSize: Int
    private let full: BatchSampler
    private let auxiliary: BatchSampler?
    private let parallel: BatchSampler?
    private var drawn: [BatchKind: Int] = [:]
    private var evaluationCache: [EvaluationSplit: [TandemCore.Batch]] = [:]

    public init(bundle: DatasetBundle, availability: LabelAvailability?,
                batchSize: Int, evaluationBatchSize: Int, seed: UInt64) throws {
        self.bundle = bundle
        self.availability = availability
        self.batchSize = batchSize
        self.evaluationBatchSize = evaluationBatchSize
        let size = min(batchSize, bundle.trainingIndices.count)
        full = try BatchSampler(indices: bundle.trainingIndices, batchSize: size, shuffle: true, dropLast: true, seed: seed)
        if let availability {
            auxiliary = try BatchSampler(indices: availability.trainingIndices, batchSize: size, shuffle: true, dropLast: true, seed: seed &+ 1)
            parallel = try BatchSampler(indices: availability.parallelIndices, batchSize: min(size, availability.parallelIndices.count),
                                        shuffle: true, dropLast: true, seed: seed &+ 2)
        } else {
            auxiliary = nil
            parallel = nil
        }
    }

    public var stepsPerEpoch: Int { (auxiliary ?? full).batchesPerEpoch }

    public func nextBatch(_ kind: BatchKind) -> TandemCore.Batch {
        let count = drawn[kind, default: 0]
        drawn[kind] = count + 1
        let sampler: BatchSampler, source: LabelSource?
        switch kind {
        case .full: (sampler, source) = (full, nil)
        case .auxiliaryOnly: (sampler, source) = (auxiliary ?? full, availability == nil ? nil : .auxiliary)
        case .parallel: (sampler, source) = (parallel ?? full, availability == nil ? nil : .parallel)
        }
        return convert(bundle.training, indices: sampler.batch(atStep: count), source: source)
    }

    public func evaluationBatches(_ split: EvaluationSplit) -> [TandemCore.Batch] {
        if let cached = evaluationCache[split] { return cached }
        let (dataset, indices) = split == .validation ? (bundle.validation, bundle.validationIndices) : (bundle.test, bundle.testIndices)
        let batches = stride(from: 0, to: indices.count, by: evaluationBatchSize).map {
            convert(dataset, indices: Array(indices[$0..<min(indices.count, $0 + evaluationBatchSize)]), source: nil)
        }
        evaluationCache[split] = batches
        return batches
    }

    func convert(_ dataset: any MultiTaskDataset, indices: [Int], source: LabelSource?) -> TandemCore.Batch {
        let assembled: TandemDatasets.Batch
        do {
            assembled = try TandemDatasets.Batch(dataset: dataset, indices: indices, availability: source == nil ? nil : availability, source: source)
        } catch {
            preconditionFailure("\(dataset.name): cannot assemble a batch of samples \(indices.prefix(4))…: \(error)")
        }
        var targets: [String: Tensor] = [:]
        for task in assembled.labelledTasks { targets[task] = assembled.targetTensor(task) }
        return TandemCore.Batch(input: assembled.inputTensor(), targets: targets)
    }

    public func saveState() -> StrategyState {
        StrategyState(words: Dictionary(uniqueKeysWithValues: drawn.map { ("drawn.\($0.key.rawValue)", [UInt64($0.value)]) }))
    }

    public func restoreState(_ state: StrategyState) throws {
        drawn = [:]
        for kind in [BatchKind.full, .auxiliaryOnly, .parallel] {
            if let words = state.words["drawn.\(kind.rawValue)"], let first = words.first { drawn[kind] = Int(first) }
        }
    }
}

extension TargetKind {
    /// The trainer's task kind (which fixes loss and metrics) for this kind of label.
    public var taskKind: TaskKind {
        switch self {
        case let .classification(classCount): return .classification(classes: classCount)
        case let .segmentation(classCount): return .segmentation(classes: classCount)
        case .depth: return .depth
        case .normals: return .normals
        }
    }
}
