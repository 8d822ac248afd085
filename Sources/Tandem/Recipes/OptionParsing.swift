import TandemCore

extension OptionSpec {
    /// Converts a YAML node to this option's type, or says precisely what was expected.
    public func value(from node: YAMLNode, owner: String, environment: OptionEnvironment = OptionEnvironment()) throws -> OptionValue {
        try OptionSpec.convert(node, to: type, what: "\(owner).\(name)", environment: environment)
    }

    static func convert(_ node: YAMLNode, to type: OptionType, what: String, environment: OptionEnvironment = OptionEnvironment()) throws -> OptionValue {
        func fail(_ found: String) -> RecipeError {
            RecipeError(location: node.location, message: "\(what) must be \(type), found \(found)")
        }
        if case let .list(element) = type {
            guard case let .sequence(items, _) = node else { throw fail(node.kindName) }
            return .list(try items.map { try convert($0, to: element, what: what, environment: environment) })
        }
        if case .strategy = type { return try environment.nestedStrategy(node, what: what) }
        if case .model = type { return try environment.nestedModel(node, what: what) }
        guard case let .scalar(text, _, plain) = node else { throw fail(node.kindName) }
        switch type {
        case let .integer(range):
            guard plain, let value = Int(text) else { throw fail("'\(text)'") }
            if let range, !range.contains(value) { throw fail("\(value)") }
            return .integer(value)
        case let .number(range):
            guard plain, let value = Double(text), value.isFinite else { throw fail("'\(text)'") }
            if let range, !range.contains(value) { throw fail("\(value)") }
            return .number(value)
        case .boolean:
            switch text.lowercased() {
            case "true", "yes", "on": return .boolean(true)
            case "false", "no", "off": return .boolean(false)
            default: throw fail("'\(text)'")
            }
        case .text:
            return .text(text)
        case .task:
            if let tasks = environment.tasks, !tasks.contains(text) {
                throw RecipeError(location: node.location, message: NameSuggestion.unknown("task in \(what)", text, valid: tasks))
            }
            return .text(text)
        case let .choice(names):
            guard names.contains(text) else {
                throw RecipeError(location: node.location, message: NameSuggestion.unknown("value for \(what)", text, valid: names))
            }
            return .text(text)
        case .list, .strategy, .model:
            throw fail(node.kindName)
        }
    }
}

/// What option checking may look up beyond the specs: the recipe's task names (for `.task`
/// values; nil: not checked) and the option specs of the strategies a `.strategy` option and of the
/// models a `.model` option may name.
public struct OptionEnvironment: Sendable {
    public var tasks: [String]?
    public var strategies: [String: [OptionSpec]]
    public var models: [String: [OptionSpec]]

    public init(tasks: [String]? = nil, strategies: [String: [OptionSpec]] = [:], models: [String: [OptionSpec]] = [:]) {
        self.tasks = tasks
        self.strategies = strategies
        self.models = models
    }

    /// Reads `name` or `{name: …, options…}` and checks the options against that model's specs.
    func nestedModel(_ node: YAMLNode, what: String) throws -> OptionValue {
        let (name, options) = try nestedComponent(node, what: what, kind: "model", specs: models)
        return .model(name: name, options: options)
    }

    /// Reads `name` or `{name: …, options…}` and checks the options against that strategy's specs.
    func nestedStrategy(_ node: YAMLNode, what: String) throws -> OptionValue {
        let (name, options) = try nestedComponent(node, what: what, kind: "strategy", specs: strategies)
        return .strategy(name: name, options: options)
    }

    /// A nested component's name and the option values the recipe gave (checked against its
    /// specs; its own defaults apply when it is built).
    private func nestedComponent(_ node: YAMLNode, what: String, kind: String, specs: [String: [OptionSpec]]) throws -> (String, [String: OptionValue]) {
        let choice = try ComponentChoice.read(node, section: what)
        guard let componentSpecs = specs[choice.name] else {
            throw RecipeError(location: choice.location, message: NameSuggestion.unknown("\(kind) for \(what)", choice.name, valid: specs.keys.sorted()))
        }
        let options = try Options.parse(choice.options, specs: componentSpecs, owner: "\(what) (\(choice.name))", environment: self)
        var given: Set<String> = []
        if case let .mapping(entries, _)? = choice.options { given = Set(entries.map(\.key)) }
        return (choice.name, options.values.filter { given.contains($0.key) })
    }
}

extension Options {
    /// Checks `node` (a mapping, or absent) against `specs`: unknown keys are errors with a
    /// suggestion, values are type- and range-checked, missing ones take their defaults.
    public static func parse(_ node: YAMLNode?, specs: [OptionSpec], owner: String,
                             environment: OptionEnvironment = OptionEnvironment()) throws -> Options {
        var values: [String: OptionValue] = [:]
        if let node {
            guard case let .mapping(entries, _) = node else {
                throw RecipeError(location: node.location, message: "\(owner) options must be a mapping of name: value, found \(node.kindName)")
            }
            for entry in entries {
                guard let spec = specs.first(where: { $0.name == entry.key }) else {
                    let valid = specs.map(\.name)
                    throw RecipeError(location: entry.keyLocation,
                                      message: valid.isEmpty ? "\(owner) takes no options, found '\(entry.key)'"
                                                             : NameSuggestion.unknown("option of \(owner)", entry.key, valid: valid))
                }
                values[spec.name] = try spec.value(from: entry.value, owner: owner, environment: environment)
            }
        }
        for spec in specs where values[spec.name] == nil {
            if let value = spec.defaultValue { values[spec.name] = value }
            if spec.isRequired {
                throw RecipeError(location: node?.location ?? SourceLocation(file: "recipe", line: 1, column: 1),
                                  message: "\(owner) needs option '\(spec.name)' (\(spec.type): \(spec.summary))")
            }
        }
        return Options(values)
    }
}
