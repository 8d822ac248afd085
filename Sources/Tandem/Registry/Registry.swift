import TandemCore
import TandemDatasets

/// A strategy the registry can build: its description and its type's constructor.
public struct StrategyEntry {
    public var type: any RegisteredStrategy.Type
    public var description: StrategyDescription { type.description }

    public init(_ type: any RegisteredStrategy.Type) { self.type = type }

    /// Builds the strategy from validated options.
    public func make(_ options: Options, _ context: StrategyBuildContext) throws -> any GradientCombiner {
        try type.init(options: options, context: context)
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
    /// Builds the model; the registry is there for models built around another (an architecture's
    /// `encoder`).
    public var make: (Options, _ tasks: [TaskSpec], _ inputShape: [Int], Registry) throws -> any MultiTaskModel
    /// More for `tandem describe` that takes work to compute (e.g. a model's parameter counts at
    /// its paper's configuration), nil for none.
    public var details: (() -> String)?

    public init(description: ComponentDescription, details: (() -> String)? = nil,
                make: @escaping (Options, [TaskSpec], [Int]) throws -> any MultiTaskModel) {
        self.init(description: description, details: details) { options, tasks, inputShape, _ in try make(options, tasks, inputShape) }
    }

    public init(description: ComponentDescription, details: (() -> String)? = nil,
                make: @escaping (Options, [TaskSpec], [Int], Registry) throws -> any MultiTaskModel) {
        self.description = description
        self.details = details
        self.make = make
    }

    /// Builds the model from option values given in code or nested in a recipe (unknown names
    /// and values of the wrong type are errors; missing ones take their defaults).
    public func make(validating values: [String: OptionValue], tasks: [TaskSpec], inputShape: [Int], registry: Registry) throws -> any MultiTaskModel {
        try make(try Options(validating: values, specs: description.options, owner: description.name), tasks, inputShape, registry)
    }
}

/// Names → components. A value: a downstream package copies `Registry.standard`, registers its
/// own strategies (or models, datasets), and hands its registry to recipe assembly.
public struct Registry {
    public private(set) var strategies: [String: StrategyEntry] = [:]
    public private(set) var models: [String: ModelEntry] = [:]
    public private(set) var datasets: [String: DatasetEntry] = [:]

    public init() {}

    /// Registers a strategy type under its description's name (replacing one of the same name).
    public mutating func register(_ strategy: any RegisteredStrategy.Type) { strategies[strategy.description.name] = StrategyEntry(strategy) }
    public mutating func register(_ entry: ModelEntry) { models[entry.description.name] = entry }
    public mutating func register(_ entry: DatasetEntry) { datasets[entry.description.name] = entry }

    /// This registry with `strategy` registered too, e.g. `Registry.standard.adding(MyStrategy.self)`.
    public func adding(_ strategy: any RegisteredStrategy.Type) -> Registry {
        var registry = self
        registry.register(strategy)
        return registry
    }

    /// This registry with the model `entry` registered too.
    public func adding(_ entry: ModelEntry) -> Registry {
        var registry = self
        registry.register(entry)
        return registry
    }

    /// This registry with the data set `entry` registered too.
    public func adding(_ entry: DatasetEntry) -> Registry {
        var registry = self
        registry.register(entry)
        return registry
    }

    public var strategyNames: [String] { strategies.keys.sorted() }
    public var modelNames: [String] { models.keys.sorted() }
    public var datasetNames: [String] { datasets.keys.sorted() }

    /// A build context whose `buildStrategy` builds registered strategies by name (for strategies
    /// that wrap another, e.g. `it` on `uw`), with options checked against their descriptions.
    public func buildContext(tasks: [TaskSpec], seed: UInt64) -> StrategyBuildContext {
        StrategyBuildContext(tasks: tasks, seed: seed) { name, values in
            guard let entry = self.strategies[name] else {
                throw OptionError(NameSuggestion.unknown("strategy", name, valid: self.strategyNames))
            }
            let options = try Options(validating: values, specs: entry.description.options, owner: name)
            return try entry.make(options, self.buildContext(tasks: tasks, seed: seed))
        }
    }

    /// What option checking needs: the tasks (nil: not checked) and every strategy's option specs.
    public func optionEnvironment(tasks: [String]?) -> OptionEnvironment {
        OptionEnvironment(tasks: tasks, strategies: strategies.mapValues(\.description.options), models: models.mapValues(\.description.options))
    }

    /// The description of any component called `name`.
    public func describe(_ name: String) -> ComponentDescription? {
        strategies[name]?.description.component ?? models[name]?.description ?? datasets[name]?.description
    }

    public var allNames: [String] { strategyNames + modelNames + datasetNames }
}
