import TandemCore

/// One input with a label for every task of its data set.
public struct Example: Equatable, Sendable {
    /// The model input, e.g. an image in C×H×W.
    public var input: FloatArray
    /// Labels by task name (shapes as in the data set's `tasks`).
    public var targets: [String: FloatArray]

    public init(input: FloatArray, targets: [String: FloatArray]) {
        self.input = input
        self.targets = targets
    }
}

/// A finite, randomly accessible multi-task data set.
///
/// `example(at:)` must be a pure function of the index (no hidden running state), so samples can be
/// drawn in any order, in parallel, or prefetched on another thread with identical results.
public protocol MultiTaskDataset: Sendable {
    /// A short name used in messages and cache keys.
    var name: String { get }
    /// The number of examples.
    var count: Int { get }
    /// The shape of one input (no batch axis).
    var inputShape: [Int] { get }
    /// The tasks, in a fixed order, each with its per-sample `labelShape` (roles are the recipe's
    /// choice, so a data set leaves them `.primary`).
    var tasks: [TaskSpec] { get }
    /// Example `index` (0 ≤ index < count).
    func example(at index: Int) throws -> Example
    /// The task groups the data were generated with, when they are known: a partition of
    /// `taskNames` (a known-answer benchmark such as `PlantedTaskGroups` declares it, and
    /// `tandem affinity` scores its chosen grouping against it). Nil — the default — when unknown.
    var trueTaskGroups: [[String]]? { get }
}

extension MultiTaskDataset {
    /// No known grouping (data sets declare one by implementing `trueTaskGroups`).
    public var trueTaskGroups: [[String]]? { nil }

    /// Checks that `trueTaskGroups`, when declared, is a partition of the task names into
    /// non-empty groups, naming the data set and the offending task.
    public func validateTrueTaskGroups() throws {
        guard let groups = trueTaskGroups else { return }
        var seen: Set<String> = []
        for group in groups {
            guard !group.isEmpty else { throw DatasetError.invalidArgument("\(name): a declared true task group is empty") }
            for task in group {
                guard taskNames.contains(task) else {
                    throw DatasetError.invalidArgument("\(name): the true task groups name '\(task)', which is not a task (tasks: \(taskNames.joined(separator: ", ")))")
                }
                guard seen.insert(task).inserted else {
                    throw DatasetError.invalidArgument("\(name): task '\(task)' is in more than one true task group")
                }
            }
        }
        if let missing = taskNames.first(where: { !seen.contains($0) }) {
            throw DatasetError.invalidArgument("\(name): task '\(missing)' is in no true task group (the groups must partition the tasks)")
        }
    }

    /// The task called `name`, if the data set has one.
    public func task(named name: String) -> TaskSpec? { tasks.first { $0.name == name } }

    /// The per-sample label shape of `task`, or an error naming the data set and the task when the
    /// data set declares none.
    public func labelShape(of task: TaskSpec) throws -> [Int] {
        guard let shape = task.labelShape else {
            throw DatasetError.invalidArgument("\(name): task \(task.name) declares no per-sample label shape")
        }
        return shape
    }

    /// The names of the tasks, in order.
    public var taskNames: [String] { tasks.map(\.name) }

    func checkIndex(_ index: Int) throws {
        guard index >= 0 && index < count else {
            throw DatasetError.invalidArgument("\(name): example index \(index) is outside 0..<\(count)")
        }
    }
}

/// A view of some examples of another data set, in a given order (a split).
public struct DatasetSubset: MultiTaskDataset {
    public let base: any MultiTaskDataset
    /// Indices into `base`.
    public let indices: [Int]
    public let name: String

    /// The examples of `base` at `indices` (each must be in range).
    public init(_ base: any MultiTaskDataset, indices: [Int], name: String? = nil) throws {
        if let bad = indices.first(where: { $0 < 0 || $0 >= base.count }) {
            throw DatasetError.invalidArgument("\(base.name): subset index \(bad) is outside 0..<\(base.count)")
        }
        self.base = base
        self.indices = indices
        self.name = name ?? "\(base.name)[subset]"
    }

    public var count: Int { indices.count }
    public var inputShape: [Int] { base.inputShape }
    public var tasks: [TaskSpec] { base.tasks }
    public var trueTaskGroups: [[String]]? { base.trueTaskGroups }

    public func example(at index: Int) throws -> Example {
        try checkIndex(index)
        return try base.example(at: indices[index])
    }
}
