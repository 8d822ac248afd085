import TandemCore
import TandemDatasets

/// What building a strategy may depend on.
public struct StrategyBuildContext {
    public var tasks: [TaskSpec]
    public var seed: UInt64

    public init(tasks: [TaskSpec], seed: UInt64) {
        self.tasks = tasks
        self.seed = seed
    }
}

/// A strategy the registry can build from validated options.
public struct StrategyEntry {
    public var description: ComponentDescription
    public var make: (Options, StrategyBuildContext) throws -> any GradientCombiner

    public init(description: ComponentDescription, make: @escaping (Options, StrategyBuildContext) throws -> any GradientCombiner) {
        self.description = description
        self.make = make
    }
}

/// A data set the registry can build: its three splits.
public struct DatasetEntry {
    public var description: ComponentDescription
    public var make: (Options, _ recipeFolder: String) throws -> DatasetBundle

    public init(description: ComponentDescription, make: @escaping (Options, String) throws -> DatasetBundle) {
        self.description = description
        self.make = make
    }
}

/// A model the registry can build for given tasks and input shape (C×H×W or D).
public struct ModelEntry {
    public var description: ComponentDescription
    public var make: (Options, _ tasks: [TaskSpec], _ inputShape: [Int]) throws -> any MultiTaskModel

    public init(description: ComponentDescription, make: @escaping (Options, [TaskSpec], [Int]) throws -> any MultiTaskModel) {
        self.description = description
        self.make = make
    }
}

/// Names → components. A value: a downstream package copies `Registry.standard`, registers its
/// own strategies (or models, datasets), and hands its registry to recipe assembly.
public struct Registry {
    public private(set) var strategies: [String: StrategyEntry] = [:]
    public private(set) var models: [String: ModelEntry] = [:]
    public private(set) var datasets: [String: DatasetEntry] = [:]

    public init() {}

    public mutating func register(_ entry: StrategyEntry) { strategies[entry.description.name] = entry }
    public mutating func register(_ entry: ModelEntry) { models[entry.description.name] = entry }
    public mutating func register(_ entry: DatasetEntry) { datasets[entry.description.name] = entry }

    public var strategyNames: [String] { strategies.keys.sorted() }
    public var modelNames: [String] { models.keys.sorted() }
    public var datasetNames: [String] { datasets.keys.sorted() }

    /// The description of any component called `name`.
    public func describe(_ name: String) -> ComponentDescription? {
        strategies[name]?.description ?? models[name]?.description ?? datasets[name]?.description
    }

    public var allNames: [String] { strategyNames + modelNames + datasetNames }
}
