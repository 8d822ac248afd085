/// Options of the planted-task-groups data set (see `PlantedTaskGroups`). Every field has a default.
public struct PlantedTaskGroupsOptions: Equatable, Sendable, Codable {
    /// Number of samples.
    public var count: Int = 13_000
    /// Number of tasks T (2…12; exact task grouping handles up to 12).
    public var taskCount: Int = 9
    /// Number of planted groups G, each with its own latent factor and at least two tasks.
    public var groupCount: Int = 3
    /// Dimension d of the input vector.
    public var inputSize: Int = 16
    /// Number of nuisance factors M: mixed into the input, read by no task.
    public var nuisanceCount: Int = 3
    /// Standard deviation σ of the Gaussian noise added to every input coordinate.
    public var inputNoise: Double = 0.5
    /// Number of classes K of every task.
    public var classCount: Int = 4
    /// Number of pairs of groups in conflict: groups (a, b), then (c, d), … have input mixing
    /// directions with cosine `overlap`, so their factors are hard to tell apart in the input.
    public var conflictingPairs: Int = 1
    /// Cosine between the mixing directions of two conflicting groups (0 ≤ overlap < 1).
    public var overlap: Double = 0.5
    /// Seed of the whole set: the mixing matrix and task transforms depend on (`seed`, the options);
    /// sample `i` on (`seed`, `i`) and those.
    public var seed: UInt64 = 0

    public init() {}

    func validate() throws {
        func fail(_ reason: String) -> DatasetError { DatasetError.invalidArgument("task-groups: \(reason)") }
        guard count >= 0 else { throw fail("count must be ≥ 0, got \(count)") }
        guard (2...12).contains(taskCount) else { throw fail("tasks must be 2…12 (exact grouping handles up to 12), got \(taskCount)") }
        guard groupCount >= 1, 2 * groupCount <= taskCount else {
            throw fail("\(taskCount) tasks make at most \(taskCount / 2) groups of at least two tasks, got groups: \(groupCount)")
        }
        guard nuisanceCount >= 0 else { throw fail("nuisance factors must be ≥ 0, got \(nuisanceCount)") }
        guard inputSize >= groupCount + nuisanceCount else {
            throw fail("the input needs at least one dimension per factor (groups + nuisance = \(groupCount + nuisanceCount)), got input_size: \(inputSize)")
        }
        guard inputNoise >= 0, inputNoise.isFinite else { throw fail("input noise must be a finite value ≥ 0, got \(inputNoise)") }
        guard classCount >= 2 else { throw fail("classes must be ≥ 2, got \(classCount)") }
        guard conflictingPairs >= 0, 2 * conflictingPairs <= groupCount else {
            throw fail("\(groupCount) groups make at most \(groupCount / 2) conflicting pairs, got conflicts: \(conflictingPairs)")
        }
        guard overlap >= 0, overlap < 1 else { throw fail("overlap must be in [0, 1), got \(overlap)") }
    }
}
