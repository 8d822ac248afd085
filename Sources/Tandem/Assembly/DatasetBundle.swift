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
    /// The augmentation applied to training batches (never to validation or test); nil: none.
    public var trainingAugmentation: DenseAugmentation?

    public init(training: any MultiTaskDataset, trainingIndices: [Int], validation: any MultiTaskDataset, validationIndices: [Int],
                test: any MultiTaskDataset, testIndices: [Int], trainingAugmentation: DenseAugmentation? = nil) {
        self.training = training; self.trainingIndices = trainingIndices
        self.validation = validation; self.validationIndices = validationIndices
        self.test = test; self.testIndices = testIndices
        self.trainingAugmentation = trainingAugmentation
    }

    /// One data set split by `splits`.
    public init(dataset: any MultiTaskDataset, splits: DatasetSplits, trainingAugmentation: DenseAugmentation? = nil) {
        self.init(training: dataset, trainingIndices: splits.train, validation: dataset, validationIndices: splits.validation,
                  test: dataset, testIndices: splits.test, trainingAugmentation: trainingAugmentation)
    }

    public var tasks: [TaskSpec] { training.tasks }
    public var inputShape: [Int] { training.inputShape }
    /// The training set's declared true task groups (nil: none known).
    public var trueTaskGroups: [[String]]? { training.trueTaskGroups }

    /// Checks that the training split is non-empty, that every index lies inside its data set, and
    /// that the validation and test sets have the training set's input shape and tasks (a `val/`
    /// folder at another resolution, say), naming the data set and what differs, and that every
    /// task declares its per-sample label shape and declared true task groups partition the tasks.
    public func validate() throws {
        guard !trainingIndices.isEmpty else {
            throw DatasetError.invalidArgument("\(training.name): the training split is empty")
        }
        for (split, dataset, indices) in [("training", training, trainingIndices), ("validation", validation, validationIndices),
                                          ("test", test, testIndices)] {
            if let bad = indices.first(where: { $0 < 0 || $0 >= dataset.count }) {
                throw DatasetError.invalidArgument("\(dataset.name): \(split) sample \(bad) is outside 0..<\(dataset.count)")
            }
            guard dataset.inputShape == training.inputShape else {
                throw DatasetError.invalidArgument("\(dataset.name): \(split) inputs have shape \(dataset.inputShape), "
                                                   + "the training inputs \(training.inputShape)")
            }
            guard dataset.tasks == training.tasks else {
                throw DatasetError.invalidArgument("\(dataset.name): \(split) tasks \(Self.listing(dataset.tasks)) "
                                                   + "differ from the training tasks \(Self.listing(training.tasks))")
            }
        }
        for task in training.tasks { _ = try training.labelShape(of: task) }
        try training.validateTrueTaskGroups()
        guard training.inputShape.allSatisfy({ $0 >= 1 }) else {
            throw DatasetError.invalidArgument("\(training.name): inputs have shape \(training.inputShape); every axis needs at least one element")
        }
    }

    /// "name [shape]" for each task, for messages.
    static func listing(_ tasks: [TaskSpec]) -> [String] {
        tasks.map { task in "\(task.name) " + (task.labelShape.map { "\($0)" } ?? "(no label shape)") }
    }
}
