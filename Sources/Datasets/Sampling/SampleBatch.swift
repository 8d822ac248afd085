import TandemCore

/// The samples a sampler drew, assembled: their data-set indices, stacked inputs and, per task,
/// stacked labels plus which samples carry them. The trainer consumes its `trainingBatch` (a core
/// `Batch` of tensors holding only the tasks labelled in it); this type keeps what the data
/// pipeline knows on top of that — which samples, from which label set, labelled or not.
///
/// A sample without a label for a task has that task's `TaskKind.ignoreValue` in every element
/// (−1 for class labels, 0 for depth and normals), so masked losses and metrics skip it without
/// extra inputs.
public struct SampleBatch: Equatable, Sendable {
    /// The data-set indices of the samples.
    public let indices: [Int]
    /// The set the batch was drawn from, if label availability applies.
    public let source: LabelSource?
    /// Inputs `[N, …]`.
    public var input: FloatArray
    /// Labels by task, `[N, …]`.
    public var targets: [String: FloatArray]
    /// Per task, whether each sample carries its label.
    public var labelled: [String: [Bool]]

    /// Whether any sample carries labels of `task`.
    public func hasLabels(_ task: String) -> Bool { labelled[task]?.contains(true) ?? false }

    /// The tasks with labels in this batch.
    public var labelledTasks: [String] { labelled.keys.filter { hasLabels($0) }.sorted() }

    /// The number of samples.
    public var size: Int { indices.count }

    /// The inputs as a `Tensor`.
    public func inputTensor() -> Tensor { input.tensor() }

    /// The labels of `task` as a `Tensor`, or nil when the batch has none.
    public func targetTensor(_ task: String) -> Tensor? {
        guard hasLabels(task), let target = targets[task] else { return nil }
        return target.tensor()
    }

    /// The trainer's view: the input tensor and the target tensors of the tasks labelled in this
    /// batch (a task no sample carries is left out, as `Batch` expects).
    public var trainingBatch: Batch {
        var tensors: [String: Tensor] = [:]
        for task in labelledTasks { tensors[task] = targetTensor(task) }
        return Batch(input: inputTensor(), targets: tensors)
    }

    /// Assembles the batch of `indices` from `dataset`; with `availability` and `source`, labels a
    /// sample does not have in that setting are replaced by ignore values. `transform`, when given,
    /// is applied to each example with its slot in the batch (0, 1, …) before anything else — the
    /// training augmentation; it must keep shapes.
    public init(dataset: any MultiTaskDataset, indices: [Int], availability: LabelAvailability? = nil,
                source: LabelSource? = nil, transform: ((_ slot: Int, _ example: Example) throws -> Example)? = nil) throws {
        guard !indices.isEmpty else { throw DatasetError.invalidArgument("a batch needs at least one sample") }
        if availability != nil && source == nil {
            throw DatasetError.invalidArgument("a batch with label availability needs the set it was drawn from")
        }
        var examples = try indices.map { try dataset.example(at: $0) }
        if let transform {
            examples = try examples.enumerated().map { try transform($0.offset, $0.element) }
        }
        var targets: [String: FloatArray] = [:]
        var labelled: [String: [Bool]] = [:]
        for task in dataset.tasks {
            let shape = try dataset.labelShape(of: task)
            var parts: [FloatArray] = []
            var flags: [Bool] = []
            for (position, example) in examples.enumerated() {
                guard let target = example.targets[task.name], target.shape == shape else {
                    throw DatasetError.invalidArgument("\(dataset.name): example \(indices[position]) lacks a \(shape) label for task \(task.name)")
                }
                let has = availability.map { $0.labelledTasks(of: indices[position], drawnFrom: source!).contains(task.name) } ?? true
                if has {
                    parts.append(target)
                } else {
                    guard let ignore = task.kind.ignoreValue else {
                        throw DatasetError.invalidArgument("\(dataset.name): task \(task.name) (\(task.kind)) has no ignore value, "
                                                           + "so example \(indices[position]) cannot be left unlabelled")
                    }
                    parts.append(FloatArray(shape: shape, repeating: ignore))
                }
                flags.append(has)
            }
            targets[task.name] = FloatArray.stack(parts)
            labelled[task.name] = flags
        }
        for (position, example) in examples.enumerated() where example.input.shape != dataset.inputShape {
            throw DatasetError.invalidArgument("\(dataset.name): example \(indices[position]) has input shape \(example.input.shape), expected \(dataset.inputShape)")
        }
        self.indices = indices
        self.source = source
        self.input = FloatArray.stack(examples.map(\.input))
        self.targets = targets
        self.labelled = labelled
    }
}
