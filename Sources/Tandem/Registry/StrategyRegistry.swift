import TandemCore

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

/// Names → components. A value: a downstream package copies `Registry.standard`, registers its
/// own strategies (or models, datasets), and hands its registry to recipe assembly.
public struct Registry {
    public private(set) var strategies: [String: StrategyEntry] = [:]

    public init() {}

    public mutating func register(_ entry: StrategyEntry) {
        strategies[entry.description.name] = entry
    }

    public var strategyNames: [String] { strategies.keys.sorted() }

    /// The description of any component called `name`.
    public func describe(_ name: String) -> ComponentDescription? {
        strategies[name]?.description
    }

    public var allNames: [String] { strategyNames }
}
