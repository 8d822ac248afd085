/// The type of one option, with the checks applied before anything runs.
public indirect enum OptionType: Equatable, Sendable, CustomStringConvertible {
    case integer(ClosedRange<Int>?)
    case number(ClosedRange<Double>?)
    case boolean
    case text
    /// One of the listed names.
    case choice([String])
    /// A list of values of one type.
    case list(OptionType)

    public var description: String {
        switch self {
        case let .integer(range): return "an integer" + (range.map { " in \($0.lowerBound)…\($0.upperBound)" } ?? "")
        case let .number(range): return "a number" + (range.map { " in \($0.lowerBound)…\($0.upperBound)" } ?? "")
        case .boolean: return "true or false"
        case .text: return "a text"
        case let .choice(names): return "one of \(names.joined(separator: ", "))"
        case let .list(element): return "a list of \(element)"
        }
    }
}

/// A typed option value.
public indirect enum OptionValue: Equatable, Sendable, CustomStringConvertible {
    case integer(Int)
    case number(Double)
    case boolean(Bool)
    case text(String)
    case list([OptionValue])

    public var description: String {
        switch self {
        case let .integer(v): return "\(v)"
        case let .number(v): return "\(v)"
        case let .boolean(v): return "\(v)"
        case let .text(v): return v
        case let .list(vs): return "[" + vs.map(\.description).joined(separator: ", ") + "]"
        }
    }
}

/// One documented option of a strategy, model or dataset: the single place its name, type,
/// default and meaning live; `tandem describe` and the docs read it.
public struct OptionSpec: Sendable {
    public var name: String
    public var type: OptionType
    public var defaultValue: OptionValue?
    public var summary: String
    /// Whether a recipe must give it (otherwise a missing value is its default, or "not set").
    public var isRequired: Bool

    public init(_ name: String, _ type: OptionType, default defaultValue: OptionValue?, _ summary: String, required: Bool = false) {
        self.name = name
        self.type = type
        self.defaultValue = defaultValue
        self.summary = summary
        self.isRequired = required
    }

    /// Converts a YAML node to this option's type, or says precisely what was expected.
    public func value(from node: YAMLNode, owner: String) throws -> OptionValue {
        try OptionSpec.convert(node, to: type, what: "\(owner).\(name)")
    }

    static func convert(_ node: YAMLNode, to type: OptionType, what: String) throws -> OptionValue {
        func fail(_ found: String) -> RecipeError {
            RecipeError(location: node.location, message: "\(what) must be \(type), found \(found)")
        }
        if case let .list(element) = type {
            guard case let .sequence(items, _) = node else { throw fail(node.kindName) }
            return .list(try items.map { try convert($0, to: element, what: what) })
        }
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
        case let .choice(names):
            guard names.contains(text) else {
                throw RecipeError(location: node.location, message: NameSuggestion.unknown("value for \(what)", text, valid: names))
            }
            return .text(text)
        case .list:
            throw fail(node.kindName)
        }
    }
}

/// Validated options of one component: every value present (given or defaulted) and typed.
public struct Options: Sendable {
    public var values: [String: OptionValue]

    public init(_ values: [String: OptionValue] = [:]) { self.values = values }

    /// Checks `node` (a mapping, or absent) against `specs`: unknown keys are errors with a
    /// suggestion, values are type- and range-checked, missing ones take their defaults.
    public static func parse(_ node: YAMLNode?, specs: [OptionSpec], owner: String) throws -> Options {
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
                values[spec.name] = try spec.value(from: entry.value, owner: owner)
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

    public func integer(_ name: String) -> Int? {
        if case let .integer(v)? = values[name] { return v }
        return nil
    }

    public func number(_ name: String) -> Double? {
        switch values[name] {
        case let .number(v)?: return v
        case let .integer(v)?: return Double(v)
        default: return nil
        }
    }

    public func float(_ name: String) -> Float? { number(name).map(Float.init) }

    public func boolean(_ name: String) -> Bool? {
        if case let .boolean(v)? = values[name] { return v }
        return nil
    }

    public func text(_ name: String) -> String? {
        if case let .text(v)? = values[name] { return v }
        return nil
    }

    public func list(_ name: String) -> [OptionValue]? {
        if case let .list(v)? = values[name] { return v }
        return nil
    }
}
