import TandemCore

/// A many-task benchmark whose task groups are known: T classification tasks in G planted groups,
/// each group reading its own latent factor from a vector input.
///
/// Sample i draws latent factors and noise from a generator derived from (`seed`, i) only:
///
///     z = (f_1 … f_G, ν_1 … ν_M) ~ N(0, I),   ε ~ N(0, I_d)
///     x = A z + σ ε                                   (the input, d values)
///     y_t = #{k : τ_{t,k} < φ_t(f_{g(t)})},   φ_t(f) = s_t f + c_t f²    (task t's class, 0 … K−1)
///
/// A's columns are random unit directions, except that in each of the first `conflictingPairs`
/// pairs of groups (a, b), (c, d), … the second group's direction has cosine `overlap` with the
/// first's. Task t belongs to group g(t) and has a random sign s_t = ±1 and curvature
/// c_t ∈ [−½, ½]; its thresholds τ_{t,1} < … < τ_{t,K−1} are the K-quantiles of φ_t(f) for
/// f ~ N(0, 1) (estimated from 4,096 seeded draws), so its classes are about equally frequent.
/// A, g, s, c and τ depend only on `seed` and the options.
///
/// So tasks of one group need the same feature of the input (their factor) and help each other;
/// tasks of different groups need independent features and compete for the shared units — a unit
/// that carries both factors is noise to each task, so each task's gradient pushes the other
/// factor out of it. Conflicting groups' factors lie along overlapping input directions, so they
/// are harder to tell apart (docs/datasets.md says how much of this a run measures). The planted
/// grouping is `trueTaskGroups`; the tasks of group a are named a1, a2, …, of group b b1, b2, ….
public struct PlantedTaskGroups: MultiTaskDataset {
    public let options: PlantedTaskGroupsOptions
    /// A, d rows × (G + M) columns: factor f_g is column g, nuisance ν_m column G + m.
    public let mixing: [[Double]]
    /// Each task's planted group g(t) (0-based), in task order.
    public let groupOfTask: [Int]
    /// Each task's transform φ_t: sign s_t and curvature c_t.
    public let transforms: [(sign: Double, curvature: Double)]
    /// Each task's class thresholds τ_{t,1} < … < τ_{t,K−1}.
    public let thresholds: [[Double]]
    public let tasks: [TaskSpec]

    /// Draws A and the tasks; throws for inconsistent options (naming the option).
    public init(options: PlantedTaskGroupsOptions) throws {
        try options.validate()
        self.options = options
        let groups = options.groupCount, factors = options.groupCount + options.nuisanceCount, d = options.inputSize

        var structure = SeedDerivation.generator(options.seed, index: 0, salt: .taskGroupsStructure)
        var columns = (0..<factors).map { _ in Self.unitVector(d, generator: &structure) }
        for pair in 0..<options.conflictingPairs {
            let first = columns[2 * pair], fresh = columns[2 * pair + 1]
            // The part of a fresh direction orthogonal to the first group's, turned to cosine `overlap`.
            let along = zip(fresh, first).reduce(0) { $0 + $1.0 * $1.1 }
            let orthogonal = Self.normalised(zip(fresh, first).map { $0 - along * $1 })
            let sine = (1 - options.overlap * options.overlap).squareRoot()
            columns[2 * pair + 1] = zip(first, orthogonal).map { options.overlap * $0 + sine * $1 }
        }
        mixing = (0..<d).map { row in columns.map { $0[row] } }

        var assignment: [Int] = [], names: [String] = []
        for group in 0..<groups {
            let size = options.taskCount / groups + (group < options.taskCount % groups ? 1 : 0)
            for member in 0..<size {
                assignment.append(group)
                names.append(Self.groupName(group) + "\(member + 1)")
            }
        }
        groupOfTask = assignment
        var transforms: [(sign: Double, curvature: Double)] = [], thresholds: [[Double]] = []
        for task in 0..<options.taskCount {
            var generator = SeedDerivation.generator(options.seed, index: task + 1, salt: .taskGroupsStructure)
            let transform = (sign: generator.next() & 1 == 0 ? 1.0 : -1.0, curvature: generator.uniform(-0.5...0.5))
            let reference = (0..<4096).map { _ in
                Self.transform(Double(generator.nextNormal()), sign: transform.sign, curvature: transform.curvature)
            }.sorted()
            transforms.append(transform)
            thresholds.append((1..<options.classCount).map { reference[$0 * reference.count / options.classCount] })
        }
        self.transforms = transforms
        self.thresholds = thresholds
        tasks = names.map { TaskSpec(name: $0, kind: .classification(classes: options.classCount), labelShape: []) }
    }

    public var name: String { "task-groups" }
    public var count: Int { options.count }
    public var inputShape: [Int] { [options.inputSize] }

    /// The planted groups: the task names of each group, in group order.
    public var trueTaskGroups: [[String]]? {
        (0..<options.groupCount).map { group in tasks.indices.filter { groupOfTask[$0] == group }.map { tasks[$0].name } }
    }

    /// Sample `index`'s latent factors z = (f_1 … f_G, ν_1 … ν_M) and input noise ε.
    public func latents(at index: Int) -> (factors: [Double], noise: [Double]) {
        var generator = SeedDerivation.generator(options.seed, index: index, salt: .taskGroupsSample)
        let factors = (0..<(options.groupCount + options.nuisanceCount)).map { _ in Double(generator.nextNormal()) }
        let noise = (0..<options.inputSize).map { _ in Double(generator.nextNormal()) }
        return (factors, noise)
    }

    /// Task `task`'s class for group factor value `factor`: the thresholds below φ_t(factor).
    public func label(task: Int, factor: Double) -> Int {
        let value = Self.transform(factor, sign: transforms[task].sign, curvature: transforms[task].curvature)
        return thresholds[task].reduce(0) { $0 + ($1 < value ? 1 : 0) }
    }

    public func example(at index: Int) throws -> Example {
        try checkIndex(index)
        let (factors, noise) = latents(at: index)
        let input = (0..<options.inputSize).map { row in
            Float(zip(mixing[row], factors).reduce(0) { $0 + $1.0 * $1.1 } + options.inputNoise * noise[row])
        }
        var targets: [String: FloatArray] = [:]
        for (position, task) in tasks.enumerated() {
            let label = self.label(task: position, factor: factors[groupOfTask[position]])
            targets[task.name] = FloatArray(shape: [], scalars: [Float(label)])
        }
        return Example(input: FloatArray(shape: inputShape, scalars: input), targets: targets)
    }

    /// φ(f) = s f + c f².
    static func transform(_ factor: Double, sign: Double, curvature: Double) -> Double { sign * factor + curvature * factor * factor }

    /// a, b, c, … (at most six groups: each has at least two of the at most twelve tasks).
    static func groupName(_ group: Int) -> String { String(UnicodeScalar(UInt8(97 + group))) }

    static func unitVector(_ size: Int, generator: inout SeededGenerator) -> [Double] {
        normalised((0..<size).map { _ in Double(generator.nextNormal()) })
    }

    static func normalised(_ vector: [Double]) -> [Double] {
        let norm = vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return vector.map { $0 / norm }
    }
}
