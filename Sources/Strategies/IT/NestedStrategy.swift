import TandemCore

extension StrategyBuildContext {
    /// The strategy a `.strategy` option names, built by the registry's `buildStrategy` when it
    /// set one (recipes, downstream registries), else from `BuiltInStrategies.all` with the
    /// options checked against its description (tests, `RegisteredStrategy.make`).
    public func nestedStrategy(_ option: (name: String, options: [String: OptionValue])?, owner: String) throws -> any GradientCombiner {
        guard let option else { throw OptionError("\(owner) must name a strategy") }
        if let buildStrategy { return try buildStrategy(option.name, option.options) }
        guard let type = BuiltInStrategies.all.first(where: { $0.description.name == option.name }) else {
            throw OptionError("\(owner): unknown strategy '\(option.name)' (built in: \(BuiltInStrategies.all.map { $0.description.name }.joined(separator: ", ")))")
        }
        return try type.init(options: Options(validating: option.options, specs: type.description.options, owner: option.name), context: self)
    }
}
