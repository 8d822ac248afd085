import TandemCore

/// Which labels a batch may use, by the set it was drawn from (TMT's limited-parallel-label setting).
public enum LabelSource: String, Equatable, Sendable, Codable {
    /// The parallel set X: samples with primary *and* auxiliary labels.
    case parallel
    /// The auxiliary set X^A (all training samples): auxiliary labels only.
    case auxiliary
}

/// Per-task label availability over a training split.
///
/// TMT (Task Meta-Transfer from limited parallel labels): every training sample (the set X^A) has
/// the auxiliary tasks' labels; only a parallel subset X ⊂ X^A, drawn at a fraction (10 %, 20 %,
/// 33 %, 50 %) with a seed, also has the primary tasks' labels. Batches drawn from X^A carry only
/// auxiliary labels. The Oracle setting gives every sample all labels (X = X^A).
///
/// For one seed the parallel sets are nested: the 10 % set is a subset of the 20 % set, and so on
/// (they are prefixes of one seeded permutation).
public struct LabelAvailability: Equatable, Sendable, Codable {
    public let primaryTasks: [String]
    public let auxiliaryTasks: [String]
    /// X^A: every training sample (data-set indices), in order.
    public let trainingIndices: [Int]
    /// X ⊂ X^A: the samples with primary labels (data-set indices), sorted.
    public let parallelIndices: [Int]
    /// The fraction the parallel set was drawn at (1 for Oracle).
    public let parallelFraction: Double
    private let parallelMembers: Set<Int>

    /// A parallel subset of `trainingIndices` of ⌈fraction·n⌉ samples (at least 1), drawn with `seed`.
    public init(trainingIndices: [Int], primaryTasks: [String], auxiliaryTasks: [String],
                parallelFraction: Double, seed: UInt64) throws {
        guard parallelFraction > 0 && parallelFraction <= 1 else {
            throw DatasetError.invalidArgument("the parallel fraction must be in (0, 1], got \(parallelFraction)")
        }
        guard !trainingIndices.isEmpty else { throw DatasetError.invalidArgument("label availability needs training samples") }
        guard Set(primaryTasks).isDisjoint(with: auxiliaryTasks) else {
            throw DatasetError.invalidArgument("a task cannot be both primary and auxiliary: \(Set(primaryTasks).intersection(auxiliaryTasks).sorted())")
        }
        // ⌈fraction·n⌉, tolerating the rounding of products like 0.1 × 1000 = 100.00000000000001.
        let size = max(1, Int((parallelFraction * Double(trainingIndices.count) - 1e-9).rounded(.up)))
        var generator = SeedDerivation.generator(seed, index: 0, salt: .partition)
        let order = seededPermutation(trainingIndices.count, generator: &generator)
        let chosen = order.prefix(min(size, trainingIndices.count)).map { trainingIndices[$0] }.sorted()
        self.primaryTasks = primaryTasks
        self.auxiliaryTasks = auxiliaryTasks
        self.trainingIndices = trainingIndices
        self.parallelIndices = chosen
        self.parallelFraction = parallelFraction
        self.parallelMembers = Set(chosen)
    }

    /// Oracle: every training sample has every label.
    public static func oracle(trainingIndices: [Int], primaryTasks: [String], auxiliaryTasks: [String]) throws -> LabelAvailability {
        try LabelAvailability(trainingIndices: trainingIndices, primaryTasks: primaryTasks, auxiliaryTasks: auxiliaryTasks,
                              parallelFraction: 1, seed: 0)
    }

    /// Whether sample `index` has primary labels at all.
    public func isParallel(_ index: Int) -> Bool { parallelMembers.contains(index) }

    /// The indices a sampler for `source` draws from.
    public func indices(for source: LabelSource) -> [Int] {
        source == .parallel ? parallelIndices : trainingIndices
    }

    /// The tasks whose labels sample `index` carries when drawn from `source`.
    public func labelledTasks(of index: Int, drawnFrom source: LabelSource) -> Set<String> {
        switch source {
        case .auxiliary: return Set(auxiliaryTasks)
        case .parallel: return isParallel(index) ? Set(primaryTasks + auxiliaryTasks) : Set(auxiliaryTasks)
        }
    }
}
