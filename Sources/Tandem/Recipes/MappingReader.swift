import TandemCore
/// Reads one YAML mapping with strict checking: every key must be read or is an error naming
/// its location, with the nearest valid key suggested.
public final class MappingReader {
    public let node: YAMLNode
    public let section: String
    private let entries: [(key: String, keyLocation: SourceLocation, value: YAMLNode)]
    private var allowed: [String] = []

    public init(_ node: YAMLNode, section: String) throws {
        guard case let .mapping(entries, _) = node else {
            throw RecipeError(location: node.location, message: "\(section) must be a mapping, found \(node.kindName)")
        }
        self.node = node
        self.section = section
        self.entries = entries
    }

    public var location: SourceLocation { node.location }

    /// The value under `key`, if present (and marks `key` as valid here).
    public func optional(_ key: String) -> YAMLNode? {
        allowed.append(key)
        return entries.first { $0.key == key }?.value
    }

    /// The value under `key`, or an error saying it is missing.
    public func required(_ key: String, expected: String) throws -> YAMLNode {
        guard let value = optional(key) else {
            throw RecipeError(location: node.location, message: "\(section) needs '\(key)' (\(expected))")
        }
        return value
    }

    /// All entries whose keys are not in `excluding` (for option blocks written inline).
    public func remaining(excluding keys: [String]) -> YAMLNode {
        .mapping(entries.filter { !keys.contains($0.key) }, node.location)
    }

    /// Throws on the first key that was never asked for.
    public func finish() throws {
        for entry in entries where !allowed.contains(entry.key) {
            throw RecipeError(location: entry.keyLocation, message: NameSuggestion.unknown("key in \(section)", entry.key, valid: allowed))
        }
    }

    // Typed scalar readers.

    public static func text(_ node: YAMLNode, what: String) throws -> String {
        guard case let .scalar(value, _, _) = node else {
            throw RecipeError(location: node.location, message: "\(what) must be a value, found \(node.kindName)")
        }
        return value
    }

    public static func integer(_ node: YAMLNode, what: String, range: ClosedRange<Int>? = nil) throws -> Int {
        guard case .integer(let value) = try OptionSpec.convert(node, to: .integer(range), what: what) else { preconditionFailure() }
        return value
    }

    public static func number(_ node: YAMLNode, what: String, range: ClosedRange<Double>? = nil) throws -> Double {
        guard case .number(let value) = try OptionSpec.convert(node, to: .number(range), what: what) else { preconditionFailure() }
        return value
    }

    public static func boolean(_ node: YAMLNode, what: String) throws -> Bool {
        guard case .boolean(let value) = try OptionSpec.convert(node, to: .boolean, what: what) else { preconditionFailure() }
        return value
    }

    public static func choice(_ node: YAMLNode, what: String, from names: [String]) throws -> String {
        guard case .text(let value) = try OptionSpec.convert(node, to: .choice(names), what: what) else { preconditionFailure() }
        return value
    }

    public static func list(_ node: YAMLNode, what: String) throws -> [YAMLNode] {
        guard case let .sequence(items, _) = node else {
            throw RecipeError(location: node.location, message: "\(what) must be a list, found \(node.kindName)")
        }
        return items
    }
}
