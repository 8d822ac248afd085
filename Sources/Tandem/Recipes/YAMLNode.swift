import CYaml
import Foundation

/// Where something is in a source file (1-based line and column).
public struct SourceLocation: Equatable, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public var description: String { "\(file):\(line):\(column)" }
}

/// A parsed YAML document: scalars, mappings (keys in file order) and sequences, each with its
/// location so every error can point at the exact spot.
public indirect enum YAMLNode: Equatable, Sendable {
    case scalar(String, SourceLocation, plain: Bool)
    case mapping([(key: String, keyLocation: SourceLocation, value: YAMLNode)], SourceLocation)
    case sequence([YAMLNode], SourceLocation)

    public var location: SourceLocation {
        switch self {
        case let .scalar(_, location, _), let .mapping(_, location), let .sequence(_, location): return location
        }
    }

    public static func == (a: YAMLNode, b: YAMLNode) -> Bool {
        switch (a, b) {
        case let (.scalar(x, _, _), .scalar(y, _, _)): return x == y
        case let (.sequence(x, _), .sequence(y, _)): return x == y
        case let (.mapping(x, _), .mapping(y, _)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        default: return false
        }
    }

    /// A short name of the node's kind for error messages.
    public var kindName: String {
        switch self {
        case .scalar: return "a value"
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        }
    }

    /// Parses one YAML document from `text` (libyaml). Anchors and aliases are not supported.
    public static func parse(_ text: String, file: String) throws -> YAMLNode {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else { throw RecipeError(file: file, line: 1, column: 1, message: "cannot initialise the YAML parser") }
        defer { yaml_parser_delete(&parser) }
        let bytes = Array(text.utf8)
        return try bytes.withUnsafeBufferPointer { buffer -> YAMLNode in
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            var builder = Builder(file: file)
            while true {
                var event = yaml_event_t()
                guard yaml_parser_parse(&parser, &event) == 1 else {
                    let problem = parser.problem.map { String(cString: $0) } ?? "syntax error"
                    let context = parser.context.map { " \(String(cString: $0))" } ?? ""
                    throw RecipeError(file: file, line: Int(parser.problem_mark.line) + 1, column: Int(parser.problem_mark.column) + 1,
                                      message: "YAML \(problem)\(context)")
                }
                defer { yaml_event_delete(&event) }
                if event.type == YAML_STREAM_END_EVENT { break }
                try builder.consume(&event)
            }
            return builder.result ?? .mapping([], SourceLocation(file: file, line: 1, column: 1))
        }
    }

    private struct Builder {
        let file: String
        var stack: [(node: YAMLNode, pendingKey: (String, SourceLocation)?)] = []
        var result: YAMLNode?
        var documents = 0

        init(file: String) { self.file = file }

        func location(_ mark: yaml_mark_t) -> SourceLocation {
            SourceLocation(file: file, line: Int(mark.line) + 1, column: Int(mark.column) + 1)
        }

        mutating func consume(_ event: inout yaml_event_t) throws {
            let here = location(event.start_mark)
            switch event.type {
            case YAML_DOCUMENT_START_EVENT:
                documents += 1
                if documents > 1 { throw RecipeError(location: here, message: "a recipe file holds one YAML document; found a second") }
            case YAML_ALIAS_EVENT:
                throw RecipeError(location: here, message: "YAML aliases (*name) are not supported in recipes; use `base:` to share settings")
            case YAML_SCALAR_EVENT:
                let data = event.data.scalar
                let value = String(decoding: UnsafeBufferPointer(start: data.value, count: data.length), as: UTF8.self)
                try add(.scalar(value, here, plain: data.style == YAML_PLAIN_SCALAR_STYLE), at: here)
            case YAML_MAPPING_START_EVENT:
                stack.append((.mapping([], here), nil))
            case YAML_SEQUENCE_START_EVENT:
                stack.append((.sequence([], here), nil))
            case YAML_MAPPING_END_EVENT, YAML_SEQUENCE_END_EVENT:
                let finished = stack.removeLast().node
                try add(finished, at: finished.location)
            default:
                break
            }
        }

        mutating func add(_ node: YAMLNode, at here: SourceLocation) throws {
            guard var top = stack.popLast() else { result = node; return }
            switch top.node {
            case let .sequence(items, location):
                top.node = .sequence(items + [node], location)
            case let .mapping(entries, location):
                if let (key, keyLocation) = top.pendingKey {
                    top.node = .mapping(entries + [(key, keyLocation, node)], location)
                    top.pendingKey = nil
                } else {
                    guard case let .scalar(key, _, _) = node else {
                        throw RecipeError(location: here, message: "mapping keys must be plain names, not \(node.kindName)")
                    }
                    if entries.contains(where: { $0.key == key }) {
                        throw RecipeError(location: here, message: "key '\(key)' appears twice in this mapping")
                    }
                    top.pendingKey = (key, here)
                }
            case .scalar:
                break
            }
            stack.append(top)
        }
    }
}

/// A problem in a recipe, at a place in a file.
public struct RecipeError: Error, CustomStringConvertible, Equatable {
    public var file: String
    public var line: Int
    public var column: Int
    public var message: String

    public init(file: String, line: Int, column: Int, message: String) {
        self.file = file; self.line = line; self.column = column; self.message = message
    }

    public init(location: SourceLocation, message: String) {
        self.init(file: location.file, line: location.line, column: location.column, message: message)
    }

    public var description: String { "\(file):\(line):\(column): error: \(message)" }
}
