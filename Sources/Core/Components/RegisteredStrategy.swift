/// A strategy the registry can list, describe and build: its description (written once, in its
/// own file) and a constructor from checked options. Registering one is a line in
/// `BuiltInStrategies.all` (or `registry.register(MyStrategy.self)` downstream).
public protocol RegisteredStrategy: GradientCombiner {
    static var description: StrategyDescription { get }
    /// Builds the strategy from options already checked against `description.options`.
    init(options: Options, context: StrategyBuildContext) throws
}

extension RegisteredStrategy {
    public var name: String { Self.description.name }

    /// The strategy with its documented defaults, and `overrides` checked against its options.
    public static func make(_ overrides: [String: OptionValue] = [:], tasks: [TaskSpec], seed: UInt64 = 0) throws -> Self {
        try Self(options: Options(validating: overrides, specs: description.options, owner: description.name),
                 context: StrategyBuildContext(tasks: tasks, seed: seed))
    }
}

/// What building a strategy may depend on.
public struct StrategyBuildContext {
    public var tasks: [TaskSpec]
    public var seed: UInt64
    /// Builds another registered strategy by name (for strategies that wrap one, e.g. `it` on
    /// `uw`); set by the registry.
    public var buildStrategy: ((_ name: String, _ options: [String: OptionValue]) throws -> any GradientCombiner)?

    public init(tasks: [TaskSpec], seed: UInt64,
                buildStrategy: ((_ name: String, _ options: [String: OptionValue]) throws -> any GradientCombiner)? = nil) {
        self.tasks = tasks
        self.seed = seed
        self.buildStrategy = buildStrategy
    }
}
