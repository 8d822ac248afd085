import TandemCore

/// How one task's labels are corrupted to make a noisy "pseudo" auxiliary task (as in IAL's
/// experiments with unreliable auxiliary labels).
public enum LabelCorruption: Equatable, Sendable, Codable {
    /// Labels left alone.
    case none
    /// Class labels (per image or per pixel): each labelled element is, with probability
    /// `fraction`, replaced by a different class drawn uniformly. Ignored (−1) elements stay.
    case replaceLabels(fraction: Double)
    /// Depth: add N(0, σ²) metres to each valid pixel (results ≤ 0 are clamped to 1 mm, staying
    /// valid). Normals: add N(0, σ²) to each component of each valid normal, then renormalise.
    case gaussianNoise(standardDeviation: Double)

    /// Corrupts `target` (of a task of `kind`) in place with `generator`.
    public func apply(to target: inout FloatArray, kind: TaskKind, generator: inout SeededGenerator) {
        switch self {
        case .none:
            return
        case let .replaceLabels(fraction):
            guard let classCount = kind.classCount, classCount > 1 else { return }
            for i in 0..<target.count where target.scalars[i] >= 0 {
                guard generator.nextUniformDouble() < fraction else { continue }
                let original = Int(target.scalars[i])
                let shift = 1 + Int(generator.bounded(UInt64(classCount - 1)))  // never the original class
                target.scalars[i] = Float((original + shift) % classCount)
            }
        case let .gaussianNoise(sigma):
            switch kind {
            case .depth:
                for i in 0..<target.count where target.scalars[i] > 0 {
                    target.scalars[i] = max(target.scalars[i] + Float(sigma) * generator.nextNormal(), 0.001)
                }
            case .normals:
                let pixels = target.count / 3
                for p in 0..<pixels {
                    var n = (target.scalars[p], target.scalars[pixels + p], target.scalars[2 * pixels + p])
                    guard n != (0, 0, 0) else { continue }
                    n.0 += Float(sigma) * generator.nextNormal()
                    n.1 += Float(sigma) * generator.nextNormal()
                    n.2 += Float(sigma) * generator.nextNormal()
                    let length = (n.0 * n.0 + n.1 * n.1 + n.2 * n.2).squareRoot()
                    guard length > 1e-6 else { continue }
                    target.scalars[p] = n.0 / length
                    target.scalars[pixels + p] = n.1 / length
                    target.scalars[2 * pixels + p] = n.2 / length
                }
            case .classification, .segmentation, .regression:
                return
            }
        }
    }

    /// Whether this corruption makes sense for a task of `kind`.
    public func applies(to kind: TaskKind) -> Bool {
        switch (self, kind) {
        case (.none, _): return true
        case (.replaceLabels, .classification), (.replaceLabels, .segmentation): return true
        case (.gaussianNoise, .depth), (.gaussianNoise, .normals): return true
        default: return false
        }
    }
}

/// Another data set with some tasks' labels corrupted, deterministically: the noise of example `i`
/// and task `t` comes from a generator derived from (`seed`, `i`, position of `t`), so the same
/// example always gets the same corruption.
public struct CorruptedDataset: MultiTaskDataset {
    public let base: any MultiTaskDataset
    public let corruptions: [String: LabelCorruption]
    public let seed: UInt64

    /// Corrupts the tasks named in `corruptions`; throws for unknown tasks or a corruption that
    /// does not fit the task's kind (e.g. Gaussian noise on class labels).
    public init(_ base: any MultiTaskDataset, corruptions: [String: LabelCorruption], seed: UInt64) throws {
        for (task, corruption) in corruptions {
            guard let target = base.task(named: task) else {
                throw DatasetError.invalidArgument("\(base.name) has no task '\(task)' to corrupt (tasks: \(base.taskNames.joined(separator: ", ")))")
            }
            guard corruption.applies(to: target.kind) else {
                throw DatasetError.invalidArgument("\(base.name): \(corruption) does not apply to task '\(task)' of kind \(target.kind)")
            }
            if case let .replaceLabels(fraction) = corruption, !(0...1).contains(fraction) {
                throw DatasetError.invalidArgument("label replacement fraction must be in 0…1, got \(fraction)")
            }
            if case let .gaussianNoise(sigma) = corruption, sigma < 0 {
                throw DatasetError.invalidArgument("noise standard deviation must be ≥ 0, got \(sigma)")
            }
        }
        self.base = base
        self.corruptions = corruptions
        self.seed = seed
    }

    public var name: String { base.name }
    public var count: Int { base.count }
    public var inputShape: [Int] { base.inputShape }
    public var tasks: [TaskSpec] { base.tasks }
    /// Corrupting labels leaves the tasks' grouping as it was.
    public var trueTaskGroups: [[String]]? { base.trueTaskGroups }

    public func example(at index: Int) throws -> Example {
        var example = try base.example(at: index)
        for (position, task) in tasks.enumerated() {
            guard let corruption = corruptions[task.name], corruption != .none, var target = example.targets[task.name] else { continue }
            var generator = SeedDerivation.generator(seed, index: index, salt: .labelCorruption, subsalt: UInt64(position))
            corruption.apply(to: &target, kind: task.kind, generator: &generator)
            example.targets[task.name] = target
        }
        return example
    }
}
